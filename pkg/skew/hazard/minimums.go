package hazard

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// A Minimum is a hazard a release avoids, which makes it the planner's business
// (docs/hazards.md): before a hop that Guards, every node it Concerns must run a release
// that Meets it. The planner moves those nodes to a stepping stone first, or refuses;
// the table entry of the same ID reports what is left on each hop.
type Minimum interface {
	ID() string
	// What names the change, for messages: "etcd 3.6".
	What() string
	// EtcdOnly limits the minimum to etcd members; otherwise it concerns every node.
	EtcdOnly() bool
	// Guards says whether moving the servers from release lowest to release to needs
	// the minimum first (Maybe: the release data cannot tell, and a stone is harmless).
	Guards(lowest, to version.Version) Tri
	// Meets reports whether a node on release v is ready for a guarded hop.
	Meets(v version.Version) bool
	// Needs says what a node on v needs, for messages: "v1.31.5 or later".
	Needs(v version.Version) string
	// StoneReason says why a stepping stone is on the path of a node that ran v.
	StoneReason(v version.Version) string
	// Stones are the releases of minor m a node may step to first, best first.
	Stones(d version.Distro, m version.MinorVersion) []version.Version
}

// Minimums are the hazards the planner avoids by choosing releases, judged with the
// given release data (nil: the embedded table).
func Minimums(x *release.Index) []Minimum {
	return []Minimum{nodeAuthzMinimum{Releases: x}, EtcdMinimum{Releases: x}}
}

// nodeAuthzMinimum is SKEW902: K3s's node authorizer compatibility patches.
type nodeAuthzMinimum struct{ Releases *release.Index }

func (nodeAuthzMinimum) ID() string     { return "SKEW902" }
func (nodeAuthzMinimum) What() string   { return "node authorization by selectors" }
func (nodeAuthzMinimum) EtcdOnly() bool { return false }

func (nodeAuthzMinimum) Guards(lowest, to version.Version) Tri {
	if lowest.Distro == version.K3s && lowest.Major == 1 && lowest.Minor < 32 && to.Minor >= 32 {
		return Yes
	}
	return No
}

func (nodeAuthzMinimum) Meets(v version.Version) bool {
	return v.Major != 1 || v.Minor >= 32 || AtLeast(v, NodeAuthzMinimums)
}

func (nodeAuthzMinimum) Needs(v version.Version) string {
	for _, m := range NodeAuthzMinimums {
		if m.Minor == v.Minor {
			return m.String() + " or a later " + m.MinorString() + " patch"
		}
	}
	return NodeAuthzMinimums[0].MinorString() + " or later"
}

func (m nodeAuthzMinimum) StoneReason(v version.Version) string { return m.Needs(v) }

// Stones are left to the channel's newest patch (the planner's default) when the
// release data has none of the minor.
func (m nodeAuthzMinimum) Stones(d version.Distro, mv version.MinorVersion) []version.Version {
	var out []version.Version
	list := Hop{Releases: m.Releases}.data().Minor(d, mv)
	for i := len(list) - 1; i >= 0; i-- {
		if m.Meets(list[i].Version) {
			out = append(out, list[i].Version)
		}
	}
	return out
}

func (EtcdMinimum) ID() string     { return "SKEW903" }
func (EtcdMinimum) What() string   { return "etcd 3.6" }
func (EtcdMinimum) EtcdOnly() bool { return true }

// Needs names the etcd a member needs; the member's own etcd is in the planner's note.
func (m EtcdMinimum) Needs(v version.Version) string {
	return fmt.Sprintf("a release bundling etcd v3.5.26 or a later 3.5 (it runs %s)", componentOf(m.data(), v, release.Etcd))
}

// StoneReason is the same for every member: the minimum before the change.
func (EtcdMinimum) StoneReason(version.Version) string {
	return "etcd v3.5.26 or later before etcd 3.6"
}

// Stones are the known releases of minor mv bundling etcd 3.5.26 or a later 3.5, newest first.
func (m EtcdMinimum) Stones(d version.Distro, mv version.MinorVersion) []version.Version {
	if v, ok := m.Stone(d, mv); ok {
		return []version.Version{v}
	}
	return nil
}

var _ Minimum = EtcdMinimum{}
