package hazard

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Hop is one step of an upgrade path: the control plane moves From -> To.
type Hop struct {
	From, To version.Version
	// Name is how reports show the hop; "" means "From -> To".
	Name string
	// Kubelets are the kubelet versions nodes will run before this hop, where an
	// earlier hop of the path upgrades them; the facts hold today's.
	Kubelets map[string]string
	// Releases is the release data component hazards are judged with; nil means the
	// embedded table.
	Releases *release.Index
	// Walked is set on the later hops of a target walk (check --target): the hops before
	// moved every older node to this release, so a bundled component is judged there.
	Walked *version.Version
}

// kubelet is the version node n runs before the hop.
func (h Hop) kubelet(n Node) string {
	if v, ok := h.Kubelets[n.Name]; ok {
		return v
	}
	return n.Kubelet
}

// release is the release node n runs before the hop, for the bundled components: what
// an earlier hop of the path moves it to, or where the walk took it, or its own; moved
// is set when it is not the node's own. ok is false when the version does not parse.
func (h Hop) release(n *Node) (v version.Version, moved, ok bool) {
	if s, in := h.Kubelets[n.Name]; in {
		pv, err := version.Parse(s)
		return pv, true, err == nil
	}
	own, ok := n.kubeletVersion()
	if ok && h.Walked != nil && own.Compare(*h.Walked) < 0 {
		return *h.Walked, true, true
	}
	return own, false, ok
}

// String names the hop in reports.
func (h Hop) String() string {
	if h.Name != "" {
		return h.Name
	}
	return h.From.String() + " -> " + h.To.String()
}

// Crosses reports whether the hop moves the control plane from below v to v or
// beyond: the hop lands on a release that carries the change v introduced.
// Patch precision: a change shipped in v1.32.2 is not crossed by v1.32.0 -> v1.32.1.
func (h Hop) Crosses(v version.Version) bool {
	return core(h.From) < core(v) && core(h.To) >= core(v)
}

// CrossesMinor reports whether the hop lands on minor m (1.m) or later from below it.
func (h Hop) CrossesMinor(m uint64) bool {
	return h.From.Minor < m && h.To.Minor >= m && h.From.Major == 1 && h.To.Major == 1
}

// CrossesPatches reports whether the hop moves from a release without a change that
// shipped as a patch in several lines at once (mins: the first patch of each line that
// carries it) to a release with it.
func (h Hop) CrossesPatches(mins []version.Version) bool {
	return !AtLeast(h.From, mins) && AtLeast(h.To, mins)
}

// core orders major.minor.patch only: distribution revisions do not move a hazard.
func core(v version.Version) uint64 {
	return v.Major<<40 | v.Minor<<20 | v.Patch
}

// AtLeast reports whether v is at or above the first patch of v's minor in mins. A
// minor below every entry of mins is below all of them (false); a minor above every
// entry is past the change (true).
func AtLeast(v version.Version, mins []version.Version) bool {
	highest := uint64(0)
	for _, m := range mins {
		if m.Minor == v.Minor && m.Major == v.Major {
			// Compare, not core: a fix can land in a re-release (v1.32.11+rke2r3).
			return v.Compare(m) >= 0
		}
		if m.Minor > highest {
			highest = m.Minor
		}
	}
	return v.Minor > highest
}

// PathHops turns a planned path's hops into hazard hops, each knowing which nodes the
// earlier hops upgraded (names: the nodes of each hop, in order).
func PathHops(from, to []version.Version, nodes [][]string, releases *release.Index) []Hop {
	out := make([]Hop, len(from))
	before := map[string]string{}
	for i := range from {
		k := make(map[string]string, len(before))
		for n, v := range before {
			k[n] = v
		}
		out[i] = Hop{From: from[i], To: to[i], Kubelets: k, Releases: releases}
		for _, n := range nodes[i] {
			before[n] = to[i].String()
		}
	}
	return out
}
