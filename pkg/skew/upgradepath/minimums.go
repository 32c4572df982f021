package upgradepath

import (
	"errors"
	"fmt"
	"slices"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// ErrPatchMinimum means a hop hazard needs nodes on a release that meets it first (a
// stepping stone), and the path cannot get them there.
var ErrPatchMinimum = errors.New("a hop hazard needs a stepping stone first")

// withPatchMinimums makes the path meet every hazard.Minimums entry the operator did not
// accept: before the first hop that moves the servers across what the entry guards,
// every node it concerns runs a release that meets it. Where one does not, it puts a hop
// in front: the lagging agents to the servers' version when the servers are fine, or the
// whole cluster to a stepping stone (the newest release of the servers' minor, or of the
// next, that meets the entry). Where none gets there, it refuses, naming the hazard: the
// path is never silently unsafe. A hop that would take etcd from 3.6 back to 3.5 is
// refused outright.
func withPatchMinimums(specs []hopSpec, req Request, p *Path, nodes []planNode) ([]hopSpec, error) {
	mins := hazard.Minimums(req.Releases)
	// Each fix clears one entry for one set of nodes; three per entry (servers to a
	// stone, servers to the next minor's stone, agents the servers' hop left behind) is
	// the most.
	for range len(mins)*3 + 1 {
		if err := checkEtcdDowngrade(specs, req, nodes); err != nil {
			return nil, err
		}
		at, m, lagging, servers := firstShortfall(specs, p, nodes, req.AcceptHazards, mins)
		if lagging == nil {
			return specs, nil
		}
		fix, note, err := patchHop(req, p, m, lagging, servers, specs[at].to)
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
		// A stone of the hop's own minor leaves the hop a patch hop.
		if fix.to.MinorVersion() == specs[at].to.MinorVersion() && specs[at].kind == HopMinor {
			specs[at].kind = HopPatch
		}
		specs = slices.Insert(specs, at, fix)
	}
	return nil, fmt.Errorf("%w: no path meets the hazards' minimums; upgrade the nodes below them by hand first", ErrPatchMinimum)
}

// checkEtcdDowngrade refuses a path with a hop that takes an etcd member from 3.6 back
// to 3.5: etcd does not support it, and --accept-hazard does not make it so.
func checkEtcdDowngrade(specs []hopSpec, req Request, nodes []planNode) error {
	m := hazard.EtcdMinimum{Releases: req.Releases}
	for _, spec := range specs {
		for _, n := range nodes {
			if n.manual || !cluster.IsEtcdMember(n.Labels) || n.version.Compare(spec.to) >= 0 {
				continue
			}
			if m.Downgrades(n.version, spec.to) {
				return fmt.Errorf("%w: SKEW903 (etcd 3.6): %s runs %s, which bundles etcd 3.6, and the hop to %s bundles etcd 3.5; etcd cannot go back: choose a target that bundles etcd 3.6",
					ErrPatchMinimum, n.Name, n.version, spec.to)
			}
		}
	}
	return nil
}

// lag is a node below a minimum where the path would move the control plane on.
type lag struct {
	node planNode
	at   version.Version
}

// concerns reports whether minimum m is about node n.
func concerns(m hazard.Minimum, n planNode) bool {
	return !m.EtcdOnly() || cluster.IsEtcdMember(n.Labels)
}

// firstShortfall walks the path as buildHops will and returns the first hop that moves
// the servers across what a minimum guards while a node it concerns is below it, with
// the lowest version the servers run just before it.
func firstShortfall(specs []hopSpec, p *Path, nodes []planNode, accepted []string, mins []hazard.Minimum) (int, hazard.Minimum, []lag, version.Version) {
	state := make([]version.Version, len(nodes))
	for i, n := range nodes {
		state[i] = n.version
	}
	for si, spec := range specs {
		if spec.catchUp == nil {
			lowest := lowestServer(nodes, state)
			for _, m := range mins {
				if slices.Contains(accepted, m.ID()) || m.Guards(lowest, spec.to) == hazard.No {
					continue
				}
				var lagging []lag
				for i, n := range nodes {
					// Nodes upgraded by hand are the hop's SKEW701 and the hazard's own
					// finding: no hop of ours can move them. A node already on the hop's
					// release (or past it) is not moved by it.
					if n.manual || !concerns(m, n) || m.Meets(state[i]) || state[i].Compare(spec.to) >= 0 {
						continue
					}
					lagging = append(lagging, lag{node: n, at: state[i]})
				}
				if len(lagging) > 0 {
					return si, m, lagging, lowest
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
	return 0, nil, nil, version.Version{}
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

// patchHop is the hop that gets the lagging nodes to a release meeting m before the
// servers move to next.
func patchHop(req Request, p *Path, m hazard.Minimum, lagging []lag, servers, next version.Version) (hopSpec, string, error) {
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
	needs := fmt.Sprintf("%s (%s): before the servers move to %s, %s must run %s",
		m.ID(), m.What(), next, joinAnd(append(append([]string{}, lowServers...), agents...)), m.Needs(lagging[0].at))
	if len(lowServers) == 0 && p.Agents == AgentsFinal {
		return hopSpec{}, "", fmt.Errorf("%w: %w: %s, and with --agents final no agent moves before the last hop; use --agents each, or --accept-hazard %s",
			ErrAgentsFinal, ErrPatchMinimum, needs, m.ID())
	}
	// The servers are fine: the lagging agents join them first.
	if len(lowServers) == 0 && m.Meets(servers) {
		set := map[string]bool{}
		for _, l := range lagging {
			set[l.node.Name] = true
		}
		return hopSpec{to: servers, kind: HopAgents, source: "catch up, " + m.ID(), catchUp: set},
			fmt.Sprintf("%s; they catch up with the servers on %s first", needs, servers), nil
	}
	minor := servers.MinorVersion()
	for _, l := range lagging {
		if l.at.MinorVersion().Compare(minor) < 0 {
			minor = l.at.MinorVersion()
		}
	}
	stone, from, err := findStone(req, p, m, lagging, servers, minor, next)
	if err != nil {
		return hopSpec{}, "", fmt.Errorf("%w: %s; %w", ErrPatchMinimum, needs, err)
	}
	kind := HopPatch
	if stone.MinorVersion() != servers.MinorVersion() {
		kind = HopMinor
	}
	why := fmt.Sprintf("%s: %s", stone, m.StoneReason(lagging[0].at))
	return hopSpec{to: stone, kind: kind, source: fmt.Sprintf("stepping stone (%s), %s", from, m.ID())},
		fmt.Sprintf("%s; the cluster moves to %s first (%s)", needs, stone, why), nil
}

// findStone picks the release the cluster steps to: the newest that meets m in the
// lagging nodes' minor, else in the next minor when the hop goes past it, from the
// release data or the channel's newest patch of the minor. A stone must be newer than
// every lagging node, must not itself bring what m guards, and must not be past next.
func findStone(req Request, p *Path, m hazard.Minimum, lagging []lag, servers version.Version, minor version.MinorVersion, next version.Version) (version.Version, string, error) {
	ok := func(v version.Version) bool {
		// A stone must be known not to bring what m guards: a release the data does
		// not know is no place to settle.
		if v.Distro != p.Distro || !m.Meets(v) || m.Guards(servers, v) != hazard.No || v.Compare(next) > 0 {
			return false
		}
		for _, l := range lagging {
			if l.at.Compare(v) >= 0 {
				return false
			}
		}
		return true
	}
	minors := []version.MinorVersion{minor}
	if nm := minor.Add(1); nm.Compare(next.MinorVersion()) <= 0 {
		minors = append(minors, nm)
	}
	var tried []string
	for _, mv := range minors {
		// The channel's newest patch of the minor first: what upstream points at.
		if req.Channels != nil {
			if v, err := req.Channels.ForMinor(mv); err == nil && ok(v) {
				return v, fmt.Sprintf("channel %q", channel.MinorChannelName(mv)), nil
			}
		}
		for _, v := range m.Stones(p.Distro, mv) {
			if ok(v) {
				return v, "release data", nil
			}
		}
		tried = append(tried, mv.String())
	}
	where := "the release data"
	if req.Channels != nil {
		where += " and channel server " + req.Channels.URL
	}
	return version.Version{}, "", fmt.Errorf("%s know no %s release that meets it: upgrade to such a release by hand first, give newer data with --release-data, or --accept-hazard %s",
		where, joinAnd(tried), m.ID())
}
