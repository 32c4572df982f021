package upgradepath

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Find plans the hops from where the cluster is to the requested target
// (docs/domain.md). It reads nothing and writes nothing: everything it needs is in req.
//
// The rules: the control plane moves one minor per hop; an intermediate hop goes to
// the newest release of its minor (channel "v1.<minor>"), or to the release already
// running on some servers when that hop is half done; the last hop goes to the target.
// Each hop lists the servers and then the agents still below its version. Agents too
// far behind for the first hop get an agents-only hop to the servers' version first.
func Find(req Request) (*Path, error) {
	inv := req.Inventory
	if inv == nil {
		return nil, fmt.Errorf("%w: the cluster was not read", ErrNoServers)
	}
	if !inv.Distro.IsRancherDistro() {
		return nil, fmt.Errorf("%w: this cluster's nodes are not K3s or RKE2 releases; kubectl skew check works on any cluster", ErrUnsupportedDistro)
	}
	nodes, manual, err := readNodes(inv, req)
	if err != nil {
		return nil, err
	}
	p := &Path{Distro: inv.Distro, Agents: req.Agents, Manual: manual, Releases: req.Releases}
	if p.Agents == "" {
		p.Agents = AgentsEach
	}
	if req.Channels != nil {
		p.ChannelsURL = req.Channels.URL
	}
	if err := resolveTarget(req, p); err != nil {
		return nil, err
	}
	p.LowestServer, p.HighestServer = serverRange(nodes)
	for _, n := range nodes {
		if !n.manual && n.version.Compare(p.Target) > 0 {
			return nil, fmt.Errorf("%w: %s %s runs %s, newer than the target %s; the way back is the etcd snapshot taken before the upgrade, not a plan",
				ErrDowngrade, n.Role, n.Name, n.version, p.Target)
		}
	}
	specs, err := hopSpecs(req, p, nodes)
	if err != nil {
		return nil, err
	}
	if p.Agents == AgentsFinal {
		if err := checkAgentsFinal(p, nodes); err != nil {
			return nil, err
		}
	}
	if specs, err = withPatchMinimums(specs, req, p, nodes); err != nil {
		return nil, err
	}
	evaluate := req.Evaluate
	if evaluate == nil {
		evaluate = policy.Evaluate
	}
	buildHops(p, specs, inv, nodes, evaluate)
	for _, m := range p.Manual {
		id := policy.ManualUpgrade
		if m.Excluded {
			id = policy.LeftOut
		}
		p.Notes = append(p.Notes, fmt.Sprintf("%s is %s: the upgrade leaves it on %s; each hop says what it needs (%s)", m.Name, m.Reason, m.From, id))
	}
	return p, nil
}

// planNode is a node with its version read, once.
type planNode struct {
	cluster.Node
	version version.Version
	// manual nodes never move: no upgrade image can upgrade them.
	manual bool
}

func readNodes(inv *cluster.Inventory, req Request) ([]planNode, []ManualNode, error) {
	out := make([]planNode, 0, len(inv.Nodes))
	var manual []ManualNode
	servers := 0
	for _, n := range inv.Nodes {
		reason, excluded := ManualReason(inv.Distro, n, req.CustomImage), false
		if why := leftOut(req, n); why != "" {
			reason, excluded = why, true
		}
		if reason != "" && n.Kubelet != nil {
			if n.Role.IsServer() && excluded {
				return nil, nil, fmt.Errorf("%w: %s %s is %s, but every hop moves all the servers; remove the label, or upgrade the cluster another way",
					ErrManualServer, n.Role, n.Name, reason)
			}
			if n.Role.IsServer() {
				return nil, nil, fmt.Errorf("%w: %s %s is %s; upgrade it by hand, or name a mirror that has an image for it with --upgrade-image",
					ErrManualServer, n.Role, n.Name, reason)
			}
			// Its kubelet may lack the distribution suffix (Windows agents of RKE2 do):
			// only its minor matters, for the skew rules.
			manual = append(manual, ManualNode{Name: n.Name, Role: n.Role, OS: n.OS, Arch: n.Arch, From: *n.Kubelet, Reason: reason, Excluded: excluded})
			out = append(out, planNode{Node: n, version: *n.Kubelet, manual: true})
			continue
		}
		if n.Kubelet == nil {
			return nil, nil, fmt.Errorf("%w: node %s reports kubelet %q (%s); fix or remove the node before planning",
				ErrUnreadableNode, n.Name, n.KubeletVersion, n.KubeletError)
		}
		if n.Kubelet.Distro != inv.Distro {
			return nil, nil, fmt.Errorf("%w: node %s runs %s, not a %s release; the system-upgrade-controller cannot upgrade it with the others",
				ErrUnreadableNode, n.Name, n.Kubelet, inv.Distro.Name())
		}
		if n.Role.IsServer() {
			servers++
		}
		out = append(out, planNode{Node: n, version: *n.Kubelet})
	}
	if servers == 0 {
		return nil, nil, fmt.Errorf("%w: no node has the control-plane or etcd role label, so there is no control plane to move first", ErrNoServers)
	}
	return out, manual, nil
}

func serverRange(nodes []planNode) (lo, hi version.Version) {
	first := true
	for _, n := range nodes {
		if !n.Role.IsServer() {
			continue
		}
		if first || n.version.Compare(lo) < 0 {
			lo = n.version
		}
		if first || n.version.Compare(hi) > 0 {
			hi = n.version
		}
		first = false
	}
	return lo, hi
}

// resolveTarget sets Target and TargetSource, refusing a target of another
// distribution and one that the channel server does not know.
func resolveTarget(req Request, p *Path) error {
	switch {
	case req.Channel != "" && req.Version != nil:
		return fmt.Errorf("%w: give a channel or a version, not both", ErrNoTarget)
	case req.Channel != "":
		if req.Channels == nil {
			return fmt.Errorf("%w: channel %q is resolved by the channel server; give its URL, or an exact --version", ErrNeedChannels, req.Channel)
		}
		v, err := req.Channels.Resolve(req.Channel)
		if err != nil {
			return err
		}
		p.Target, p.TargetSource = v, fmt.Sprintf("channel %q", req.Channel)
	case req.Version != nil:
		if !req.Version.Exact || req.Version.Distro == version.Other {
			return fmt.Errorf("%w: %s; give the full release, such as %s, or use a channel (\"%s\")",
				ErrInexactTarget, inexactReason(req.Version, p.Distro), exampleRelease(req.Version.MinorVersion(), p.Distro), req.Version.MinorString())
		}
		p.Target, p.TargetSource = req.Version.Version, "--version"
	default:
		return fmt.Errorf("%w: give a channel or an exact version", ErrNoTarget)
	}
	if p.Target.Distro != p.Distro {
		hint := ""
		if req.Channel != "" {
			hint = fmt.Sprintf("; is %s the %s channel server?", req.Channels.URL, p.Distro.Name())
		}
		return fmt.Errorf("%w: target %s is a %s release, the cluster runs %s%s",
			ErrWrongDistro, p.Target, p.Target.Distro.Name(), p.Distro.Name(), hint)
	}
	if req.Version != nil && req.Channels != nil {
		return checkListed(req.Channels, p)
	}
	return nil
}

func inexactReason(t *version.Target, d version.Distro) string {
	if !t.Exact {
		return fmt.Sprintf("%s names a minor, not a release", t.Version)
	}
	return fmt.Sprintf("%s is not a %s release (they end in +%s)", t.Version, d.Name(), revisionStem(d))
}

// checkListed refuses an explicit version that the channel server does not know.
// Channels list only the newest release of each minor, so an older patch of a listed
// minor is accepted (with a note); a newer one, or an unlisted minor, is a typo or a
// release that does not exist.
func checkListed(list *channel.List, p *Path) error {
	if list.Contains(p.Target) {
		return nil
	}
	m := p.Target.MinorVersion()
	newest, err := list.ForMinor(m)
	if err != nil {
		return fmt.Errorf("%w: no channel at %s lists a %s release, so %s cannot be checked; use a listed release, or plan without a channel server (air-gapped)",
			ErrNotListed, list.URL, m, p.Target)
	}
	if p.Target.Compare(newest) > 0 {
		return fmt.Errorf("%w: %s is newer than %s, the newest %s release that channel %q at %s lists; check the version",
			ErrNotListed, p.Target, newest, m, channel.MinorChannelName(m), list.URL)
	}
	p.Notes = append(p.Notes, fmt.Sprintf("%s is not the newest %s release: channel %q lists %s", p.Target, m, channel.MinorChannelName(m), newest))
	return nil
}

// hopSpec is a hop before its nodes are assigned.
type hopSpec struct {
	to     version.Version
	kind   HopKind
	source string
	// catchUp names the agents an agents-only hop moves; nil means every node below to.
	catchUp map[string]bool
}

// hopSpecs lists the versions of the hops: one per minor above the lowest server,
// the last one the target.
func hopSpecs(req Request, p *Path, nodes []planNode) ([]hopSpec, error) {
	lo, target := p.LowestServer, p.Target
	first := lo.MinorVersion().Add(1)
	if lo.MinorVersion().Compare(target.MinorVersion()) >= 0 {
		first = target.MinorVersion()
	}
	var specs []hopSpec
	var missing []string
	for m := first; m.Compare(target.MinorVersion()) <= 0; m = m.Add(1) {
		if m == target.MinorVersion() {
			kind := HopMinor
			if m == lo.MinorVersion() {
				kind = HopPatch
			}
			specs = append(specs, hopSpec{to: target, kind: kind, source: "target"})
			break
		}
		if v, who, ok := inProgress(nodes, m); ok {
			specs = append(specs, hopSpec{to: v, kind: HopMinor, source: "in progress"})
			verb := "runs"
			if strings.Contains(who, " and ") {
				verb = "run"
			}
			p.Notes = append(p.Notes, fmt.Sprintf("the hop to %s resumes the upgrade in progress: %s already %s %s", m, who, verb, v))
			continue
		}
		if req.Channels == nil {
			missing = append(missing, m.String())
			continue
		}
		v, err := req.Channels.ForMinor(m)
		if err != nil {
			return nil, fmt.Errorf("%w: the hop to %s: %w", ErrNeedChannels, m, err)
		}
		if v.Distro != p.Distro {
			return nil, fmt.Errorf("%w: channel %q at %s points at %s, a %s release; is it the %s channel server?",
				ErrWrongDistro, channel.MinorChannelName(m), req.Channels.URL, v, v.Distro.Name(), p.Distro.Name())
		}
		specs = append(specs, hopSpec{to: v, kind: HopMinor, source: fmt.Sprintf("channel %q", channel.MinorChannelName(m))})
	}
	if len(missing) > 0 {
		which := "the release of " + missing[0] + " comes"
		if len(missing) > 1 {
			which = "their releases come"
		}
		return nil, fmt.Errorf("%w: the path from %s to %s crosses %s, and %s from the channel server; give a reachable --channel-server (a mirror), or go one minor at a time with --version %s",
			ErrNeedChannels, lo.MinorVersion(), target.MinorVersion(), joinAnd(missing), which,
			exampleRelease(lo.MinorVersion().Add(1), p.Distro))
	}
	if p.Agents == AgentsEach {
		specs = withCatchUp(specs, p, nodes)
	}
	return specs, nil
}

// inProgress finds a hop to minor m that was started: servers already running m.
// It returns the newest such release, so the hop finishes on the version the
// upgraded servers run instead of pulling them to a release the channel moved to since.
func inProgress(nodes []planNode, m version.MinorVersion) (version.Version, string, bool) {
	var best version.Version
	var who []string
	found := false
	for _, n := range nodes {
		if !n.Role.IsServer() || n.version.MinorVersion() != m {
			continue
		}
		if !found || n.version.Compare(best) > 0 {
			best = n.version
		}
		found = true
		who = append(who, n.Name)
	}
	return best, joinAnd(who), found
}

// withCatchUp puts an agents-only hop to the lowest server version in front of the
// first hop when some agent is, or would be as soon as the servers move, out of skew:
// agents move only after servers, so they must be able to wait through a server phase.
// Only those agents take part: the others move with the first hop.
func withCatchUp(specs []hopSpec, p *Path, nodes []planNode) []hopSpec {
	if len(specs) == 0 || specs[0].to.Equal(p.LowestServer) {
		return specs
	}
	next := specs[0].to.MinorVersion()
	lagging := map[string]bool{}
	var names []string
	for _, n := range nodes {
		if n.Role.IsServer() || n.manual || n.version.Compare(p.LowestServer) >= 0 {
			continue
		}
		if next.Sub(n.version.MinorVersion()) > policy.KubeletWindow(n.version) {
			lagging[n.Name] = true
			names = append(names, n.Name)
		}
	}
	if len(lagging) == 0 {
		return specs
	}
	p.Notes = append(p.Notes, fmt.Sprintf("%s first catch up with the servers on %s: they would be out of skew while the servers move to %s",
		joinAnd(names), p.LowestServer, specs[0].to))
	catchUp := hopSpec{to: p.LowestServer, kind: HopAgents, source: "catch up", catchUp: lagging}
	return append([]hopSpec{catchUp}, specs...)
}

// checkAgentsFinal allows agents to wait for the last hop only when each stays
// within its window of the servers all the way: the servers reach the target
// before the agents move, so the target's minor is the farthest they trail.
func checkAgentsFinal(p *Path, nodes []planNode) error {
	target := p.Target.MinorVersion()
	var why []string
	for _, n := range nodes {
		if n.Role.IsServer() || n.manual || n.version.Compare(p.Target) >= 0 {
			continue
		}
		k := policy.KubeletWindow(n.version)
		if behind := target.Sub(n.version.MinorVersion()); behind > k {
			why = append(why, fmt.Sprintf("%s (%s) would trail servers on %s by %d minors, at most %d allowed", n.Name, n.version, target, behind, k))
		}
	}
	if len(why) == 0 {
		return nil
	}
	const shown = 3
	more := ""
	if len(why) > shown {
		more = fmt.Sprintf(" and %d more", len(why)-shown)
		why = why[:shown]
	}
	return fmt.Errorf("%w: %s%s; use --agents each (the default), which moves agents with every hop", ErrAgentsFinal, strings.Join(why, "; "), more)
}

func revisionStem(d version.Distro) string {
	if d == version.RKE2 {
		return "rke2rN"
	}
	return "k3sN"
}

// exampleRelease shows the shape of a release of minor m, for error messages.
func exampleRelease(m version.MinorVersion, d version.Distro) string {
	return fmt.Sprintf("%s.X+%s", m, revisionStem(d))
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
