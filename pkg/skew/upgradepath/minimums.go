package upgradepath

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// ErrPatchMinimum means a hazard needs nodes on a minimum patch before a minor, and the
// path cannot get them there.
var ErrPatchMinimum = errors.New("a hop hazard needs a newer patch first")

// withPatchMinimums makes the path meet every hazard.PatchMinimums entry the operator
// did not accept: before the first hop that moves the servers to the entry's minor, every
// node it concerns runs at least its minor's minimum patch. Where one does not, it puts a
// hop in front: the lagging agents to the servers' version when the servers are fine, or
// the whole cluster to the channel's newest patch of the servers' minor. Where neither
// gets there, it refuses, naming the hazard: the path is never silently unsafe.
func withPatchMinimums(specs []hopSpec, req Request, p *Path, nodes []planNode) ([]hopSpec, error) {
	// Each fix clears one entry for one set of nodes; two per entry (servers, then
	// agents the servers' patch hop left behind with --agents final) is the most.
	for range len(hazard.PatchMinimums)*2 + 1 {
		at, m, lagging, servers := firstShortfall(specs, p, nodes, req.AcceptHazards)
		if lagging == nil {
			return specs, nil
		}
		fix, note, err := patchHop(req, p, m, lagging, servers, specs[at].to.MinorVersion())
		if err != nil {
			return nil, err
		}
		p.Notes = append(p.Notes, note)
		// Agents already catching up to the same version take the others along.
		if prev := at - 1; fix.catchUp != nil && prev >= 0 && specs[prev].catchUp != nil && specs[prev].to.Equal(fix.to) {
			for name := range fix.catchUp {
				specs[prev].catchUp[name] = true
			}
			continue
		}
		specs = slices.Insert(specs, at, fix)
	}
	return nil, fmt.Errorf("%w: no path meets the minimum patches; upgrade the nodes below them by hand first", ErrPatchMinimum)
}

// lag is a node below a minimum patch where the path would move the control plane on.
type lag struct {
	node    planNode
	at      version.Version
	minimum version.Version
}

// firstShortfall walks the path as buildHops will and returns the first hop that moves
// the servers to a guarded minor while a node it concerns is below its minimum, with
// the lowest version the servers run just before it.
func firstShortfall(specs []hopSpec, p *Path, nodes []planNode, accepted []string) (int, hazard.PatchMinimum, []lag, version.Version) {
	state := make([]version.Version, len(nodes))
	for i, n := range nodes {
		state[i] = n.version
	}
	for si, spec := range specs {
		if spec.catchUp == nil {
			for _, m := range hazard.PatchMinimums {
				if slices.Contains(accepted, m.ID) || spec.to.Minor < m.Before || !serversBelow(nodes, state, m.Before) {
					continue
				}
				var lagging []lag
				for i, n := range nodes {
					// Nodes upgraded by hand are the hop's SKEW701 and the hazard's own
					// finding: no hop of ours can move them.
					if n.manual || (m.ServersOnly && !n.Role.IsServer()) || m.Meets(p.Distro, state[i]) {
						continue
					}
					lagging = append(lagging, lag{node: n, at: state[i], minimum: m.Minimum(p.Distro, state[i])})
				}
				if len(lagging) > 0 {
					return si, m, lagging, lowestServer(nodes, state)
				}
			}
		}
		last := si == len(specs)-1
		for i, n := range nodes {
			if n.manual || state[i].Compare(spec.to) >= 0 {
				continue
			}
			switch {
			case spec.catchUp != nil:
				if spec.catchUp[n.Name] {
					state[i] = spec.to
				}
			case n.Role.IsServer(), p.Agents == AgentsEach, last:
				state[i] = spec.to
			}
		}
	}
	return 0, hazard.PatchMinimum{}, nil, version.Version{}
}

func lowestServer(nodes []planNode, state []version.Version) version.Version {
	var lo version.Version
	first := true
	for i, n := range nodes {
		if n.Role.IsServer() && (first || state[i].Compare(lo) < 0) {
			lo, first = state[i], false
		}
	}
	return lo
}

// serversBelow reports whether some server still runs a minor below before.
func serversBelow(nodes []planNode, state []version.Version, before uint64) bool {
	for i, n := range nodes {
		if n.Role.IsServer() && state[i].Minor < before {
			return true
		}
	}
	return false
}

// patchHop is the hop that gets the lagging nodes to their minimum before the control
// plane moves to next.
func patchHop(req Request, p *Path, m hazard.PatchMinimum, lagging []lag, servers version.Version, next version.MinorVersion) (hopSpec, string, error) {
	var lowServers, agents []string
	for _, l := range lagging {
		who := fmt.Sprintf("%s (%s)", l.node.Name, l.at)
		switch {
		case l.node.Role.IsServer():
			lowServers = append(lowServers, who)
		default:
			agents = append(agents, who)
		}
	}
	needs := fmt.Sprintf("%s (%s): before the servers move to %s, %s must run at least the %s patch %s",
		m.ID, m.What, next, joinAnd(append(append([]string{}, lowServers...), agents...)), lagging[0].minimum.MinorVersion(), lagging[0].minimum)
	if len(lowServers) == 0 && p.Agents == AgentsFinal {
		return hopSpec{}, "", fmt.Errorf("%w: %w: %s, and with --agents final no agent moves before the last hop; use --agents each, or --accept-hazard %s",
			ErrAgentsFinal, ErrPatchMinimum, needs, m.ID)
	}
	// The servers are fine: the lagging agents join them first.
	if len(lowServers) == 0 {
		at := servers
		set := map[string]bool{}
		for _, l := range lagging {
			set[l.node.Name] = true
		}
		return hopSpec{to: at, kind: HopAgents, source: "catch up, " + m.ID, catchUp: set},
			fmt.Sprintf("%s; they catch up with the servers on %s first", needs, at), nil
	}
	minor := lagging[0].at.MinorVersion()
	for _, l := range lagging {
		if l.node.Role.IsServer() && l.at.MinorVersion().Compare(minor) < 0 {
			minor = l.at.MinorVersion()
		}
	}
	if req.Channels == nil {
		return hopSpec{}, "", fmt.Errorf("%w: %w: %s, and the newest %s patch comes from the channel server; give a reachable --channel-server, or upgrade the servers to such a patch first",
			ErrPatchMinimum, ErrNeedChannels, needs, minor)
	}
	v, err := req.Channels.ForMinor(minor)
	if err != nil || !m.Meets(p.Distro, v) {
		lists := "lists no release of it"
		if err == nil {
			lists = "lists only " + v.String() + ", below the minimum"
		}
		return hopSpec{}, "", fmt.Errorf("%w: %s; channel %q at %s %s: upgrade to such a patch by hand first, or --accept-hazard %s",
			ErrPatchMinimum, needs, channel.MinorChannelName(minor), req.Channels.URL, lists, m.ID)
	}
	return hopSpec{to: v, kind: HopPatch, source: fmt.Sprintf("channel %q, %s", channel.MinorChannelName(minor), m.ID)},
		fmt.Sprintf("%s; the cluster moves to %s first", needs, v), nil
}
