// Package upgradepath works out the way from where a K3s or RKE2 cluster is to a
// target release: one hop per minor, servers before agents, each hop checked against
// the skew policy on the cluster as it will be then. It is pure: it reads and writes
// nothing, so every rule is table-tested on made-up clusters.
package upgradepath

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// AgentMode says when agents are upgraded.
type AgentMode string

const (
	// AgentsEach upgrades agents at every hop, after that hop's servers (the default).
	AgentsEach AgentMode = "each"
	// AgentsFinal upgrades agents once, at the last hop, when the skew policy allows it.
	AgentsFinal AgentMode = "final"
)

// ParseAgentMode reads --agents.
func ParseAgentMode(s string) (AgentMode, error) {
	switch AgentMode(strings.ToLower(strings.TrimSpace(s))) {
	case AgentsEach, "":
		return AgentsEach, nil
	case AgentsFinal:
		return AgentsFinal, nil
	}
	return "", fmt.Errorf("--agents %q: use each or final", s)
}

// HopKind says what a hop moves.
type HopKind string

const (
	// HopMinor moves the control plane one minor up.
	HopMinor HopKind = "minor"
	// HopPatch moves the control plane to a newer patch or revision of its minor.
	HopPatch HopKind = "patch"
	// HopAgents moves only agents; the control plane stays where it is.
	HopAgents HopKind = "agents"
)

// Request is what the planner needs. Exactly one of Channel and Version is set.
type Request struct {
	Inventory *cluster.Inventory
	// Channel is the target channel ("stable"); it needs Channels.
	Channel string
	// Version is an explicit target release, such as v1.33.5+k3s1.
	Version *version.Target
	// Channels is the channel server's list; nil when there is none (air-gapped, --version only).
	Channels *channel.List
	Agents   AgentMode
	// Evaluate is the skew policy; nil means policy.Evaluate. Tests replace it.
	Evaluate func(*cluster.Inventory, policy.Options) []policy.Finding
	// CustomImage is set when the upgrade image is a mirror the user named: its
	// platforms are unknown, so only Windows nodes are left to be upgraded by hand.
	CustomImage bool
	// NodeSelector, when set, limits the agents the path upgrades; the others stay,
	// like nodes labelled kubectl-skew.io/exclude=true, within the skew policy.
	NodeSelector labels.Selector
	// AcceptHazards are hop hazard IDs the operator acknowledged (--accept-hazard): the
	// path does not move nodes to a stepping stone for those (hazard.Minimums).
	AcceptHazards []string
	// Releases is the release data stepping stones are chosen from; nil means the
	// embedded table.
	Releases *release.Index
}

// Path is the planned way from the cluster's versions to the target.
type Path struct {
	Distro version.Distro
	// Target is the release the last hop moves to.
	Target version.Version
	// TargetSource says where Target came from: `channel "stable"` or "--version".
	TargetSource string
	// ChannelsURL is the channel server consulted; empty without one.
	ChannelsURL string
	Agents      AgentMode
	// LowestServer and HighestServer are where the servers are now.
	LowestServer, HighestServer version.Version
	Hops                        []Hop
	// Manual are the nodes no upgrade image can upgrade (Windows, other
	// architectures): they stay where they are, and each hop says what it needs of them.
	Manual []ManualNode
	// Notes explain choices a user may not expect (a hop resumed, a catch-up hop, a
	// stepping stone).
	Notes []string
	// Releases is the release data the path was planned with (nil: the embedded table):
	// the hazards of its hops are judged with the same.
	Releases *release.Index `json:"-"`
}

// BlockedHop is a hop that skew findings refuse, and those findings.
type BlockedHop struct {
	Hop      *Hop
	Findings []policy.Finding
}

// Blocking returns the hops that blocking skew findings refuse, in path order: what
// the upgrade's preflight fails on (unless forced), what plan marks blocked and what
// an upgrade through Rancher refuses.
func (p *Path) Blocking() []BlockedHop {
	var out []BlockedHop
	for i := range p.Hops {
		if h := &p.Hops[i]; h.Blocked() {
			out = append(out, BlockedHop{Hop: h, Findings: h.Blocking})
		}
	}
	return out
}

// Blocked reports whether any hop is blocked by a finding.
func (p *Path) Blocked() bool { return len(p.Blocking()) > 0 }

// Hop moves some nodes to one exact version: servers first, one at a time, then agents.
type Hop struct {
	// Number counts from 1.
	Number int
	Kind   HopKind
	// From is the oldest version among the servers the hop upgrades (its agents, when
	// it upgrades no server); each NodeStep has its own.
	From version.Version
	To   version.Version
	// Source says where To came from: `channel "v1.31"`, "target", "in progress"
	// (servers already run it), "catch up" (agents join the servers' version).
	Source  string
	Servers []NodeStep
	Agents  []NodeStep
	// Findings are the skew rules evaluated on the cluster as it will be before the
	// hop, against the hop's version (without a target for an agents-only hop), plus
	// any error that would appear while it runs: what "upgrade" re-checks first.
	Findings []policy.Finding
	// Blocking are the errors the hop would cause: a target rule still broken once
	// its servers are done (its agents, for an agents-only hop), or an error that
	// appears only then. An error the cluster has today is in Findings; it blocks
	// only when the hop would carry it past a target rule.
	Blocking []policy.Finding
	// Manual is what the hop needs of each node upgraded by hand; only hops that move
	// the control plane need anything.
	Manual []ManualStep
}

// Blocked reports whether a finding stops this hop.
func (h *Hop) Blocked() bool { return len(h.Blocking) > 0 }

// NodeStep is one node a hop upgrades.
type NodeStep struct {
	Name string
	Role cluster.Role
	// Hostname is the kubernetes.io/hostname label, for SUC's status.applying.
	Hostname string
	From     version.Version
}

// Errors the planner returns; each is wrapped with the specifics and the fix.
var (
	ErrUnsupportedDistro = errors.New("upgrades are planned for K3s and RKE2 only")
	ErrNoServers         = errors.New("no server nodes")
	ErrUnreadableNode    = errors.New("a node's version cannot be read")
	ErrNoTarget          = errors.New("no target")
	ErrInexactTarget     = errors.New("the target is not an exact release")
	ErrWrongDistro       = errors.New("the target is a release of another distribution")
	ErrNotListed         = errors.New("no channel lists the target")
	ErrNeedChannels      = errors.New("the path needs the channel list")
	ErrDowngrade         = errors.New("downgrades are not supported")
	ErrAgentsFinal       = errors.New("--agents final is not possible")
	ErrManualServer      = errors.New("a server cannot be upgraded by the system-upgrade-controller")
)

// Components lists what the hop changes in the bundled components, from its From release
// to its To release, as the release data says. unknown names a release the data does not
// know (then the list is empty): the hop's component hazards say what that means.
func (p *Path) Components(h Hop) (changes []release.Change, unknown string) {
	x := p.Releases
	if x == nil {
		x = release.Embedded()
	}
	from, ok := x.Lookup(h.From)
	if !ok {
		return nil, x.Unknown(h.From)
	}
	to, ok := x.Lookup(h.To)
	if !ok {
		return nil, x.Unknown(h.To)
	}
	return release.Changes(from, to), ""
}
