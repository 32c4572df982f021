package hazard

import "github.com/kubectl-skew/kubectl-skew/pkg/skew/version"

// PatchMinimum is a hazard that a minimum patch avoids, which makes it the planner's
// business (docs/hazards.md): before the control plane moves to minor Before, every node
// it concerns must run at least the minimum patch of its own minor. The planner moves the
// nodes to such a patch first, or refuses; the table entry of the same ID reports what is
// left on each hop.
type PatchMinimum struct {
	ID string
	// Before is the minor (1.x) the control plane must not reach first.
	Before uint64
	// ServersOnly limits it to the nodes that run the control plane (etcd).
	ServersOnly bool
	// What names the change, for messages.
	What string
	// Minimums are the first fixed patch of each minor, per distribution.
	Minimums func(version.Distro) []version.Version
}

// PatchMinimums are the hazards the planner avoids by choosing patches.
var PatchMinimums = []PatchMinimum{
	{ID: "SKEW902", Before: 32, What: "node authorization by selectors",
		Minimums: func(version.Distro) []version.Version { return NodeAuthzMinimums }},
	{ID: "SKEW903", Before: 34, ServersOnly: true, What: "etcd 3.6",
		Minimums: func(d version.Distro) []version.Version { return EtcdMinimums[d] }},
}

// Meets reports whether a node on v is safe for the move to Before: it already runs
// Before or later, or at least its minor's minimum patch.
func (m PatchMinimum) Meets(d version.Distro, v version.Version) bool {
	mins := m.Minimums(d)
	if v.Major != 1 || v.Minor >= m.Before || len(mins) == 0 {
		return true
	}
	return AtLeast(v, mins)
}

// Minimum is the patch v's minor needs (the oldest listed one for a minor older than
// all of them: such a node must move up a minor first).
func (m PatchMinimum) Minimum(d version.Distro, v version.Version) version.Version {
	mins := m.Minimums(d)
	for _, x := range mins {
		if x.Minor == v.Minor {
			return x
		}
	}
	return mins[0]
}

// patchMinimum is the PatchMinimums entry of a table ID: the judge of that entry and
// the planner read the same minimums.
func patchMinimum(id string) PatchMinimum {
	for _, m := range PatchMinimums {
		if m.ID == id {
			return m
		}
	}
	panic("hazard: no patch minimum " + id)
}
