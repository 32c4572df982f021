package hazard

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Tri is a judgement over release data that may not know a release: a hop to a release
// newer than the data may or may not bring a component change, and is never taken to
// be safe.
type Tri int

const (
	No Tri = iota
	Maybe
	Yes
)

// etcd36 is the first etcd with the v3.6 membership handling; etcdSafeFrom is the only
// 3.5 release 3.6 can safely follow (etcd.io/blog/2025/zombie_members_upgrade).
var (
	etcd36       = version.MustParse("v3.6.0")
	etcdSafeFrom = version.MustParse("v3.5.26")
	traefik3     = version.MustParse("v3.0.0")
	containerd20 = version.MustParse("v2.0.0")
	containerd21 = version.MustParse("v2.1.0")
	nginx112     = version.MustParse("v1.12.0")
)

// data is the release data the hop is judged with: the embedded table unless the
// caller gave other data (--release-data).
func (h Hop) data() *release.Index {
	if h.Releases != nil {
		return h.Releases
	}
	return release.Embedded()
}

// atLeast says whether component c of release v is at least min: Yes or No when the
// data decides it, Maybe when v is unknown and its bounds leave it open (a known
// release has both bounds, its own version).
func atLeast(x *release.Index, v version.Version, c string, min version.Version) Tri {
	s := x.Span(v, c)
	switch {
	case s.Absent:
		// A release whose notes list no version of the component (a placeholder or a
		// cut-short page) may still ship it: open, never safe.
		return Maybe
	case s.HasLow && s.Low.Compare(min) >= 0:
		return Yes
	case s.HasHigh && s.High.Compare(min) < 0:
		return No
	}
	return Maybe
}

// below is the mirror of atLeast: Yes when c of v is certainly below max.
func below(x *release.Index, v version.Version, c string, max version.Version) Tri {
	switch atLeast(x, v, c, max) {
	case Yes:
		return No
	case No:
		return Yes
	}
	return Maybe
}

// crosses says whether moving from release a to release b takes component c from
// below boundary to at or above it.
func crosses(x *release.Index, a, b version.Version, c string, boundary version.Version) Tri {
	from, to := below(x, a, c, boundary), atLeast(x, b, c, boundary)
	switch {
	case from == No || to == No:
		return No
	case from == Yes && to == Yes:
		return Yes
	}
	return Maybe
}

// componentOf names c's version in release v for messages: "etcd v3.5.21-k3s1", or
// why it is not known.
func componentOf(x *release.Index, v version.Version, c string) string {
	if r, ok := x.Lookup(v); ok {
		if raw, has := r.Components[c]; has {
			return c + " " + raw
		}
		return c + " not listed in its notes"
	}
	return c + " unknown (" + x.Unknown(v) + ")"
}

// unknownNote is the message suffix of a hit whose hop the data cannot decide for
// component c: a release it does not know, or one whose notes list no version of c.
func unknownNote(x *release.Index, t Tri, c string, vs ...version.Version) string {
	if t != Maybe {
		return ""
	}
	for _, v := range vs {
		if _, ok := x.Lookup(v); !ok {
			return fmt.Sprintf("; the release data cannot tell (%s): give newer data with --release-data or %s", x.Unknown(v), release.EnvVar)
		}
	}
	for _, v := range vs {
		if s := x.Span(v, c); s.Absent {
			return fmt.Sprintf("; the release data cannot tell: the notes of %s list no %s version, so it is not taken to be safe", v, c)
		}
	}
	return ""
}

// EtcdMinimum is the rule the planner and SKEW903 share: before any etcd member moves
// to a release with etcd 3.6, every member runs etcd 3.5.26 or later; and no hop takes
// etcd from 3.6 back to 3.5.
type EtcdMinimum struct{ Releases *release.Index }

func (m EtcdMinimum) data() *release.Index { return Hop{Releases: m.Releases}.data() }

// Guards says whether a hop to release to brings etcd 3.6 (Maybe when to is unknown).
func (m EtcdMinimum) Guards(_, to version.Version) Tri {
	return atLeast(m.data(), to, release.Etcd, etcd36)
}

// Meets reports whether a member on release v may move to etcd 3.6: its etcd is known
// to be 3.5.26 or later.
func (m EtcdMinimum) Meets(v version.Version) bool {
	return atLeast(m.data(), v, release.Etcd, etcdSafeFrom) == Yes
}

// Downgrades says whether moving from a to b takes etcd from 3.6 back to 3.5.
func (m EtcdMinimum) Downgrades(a, b version.Version) bool {
	x := m.data()
	return atLeast(x, a, release.Etcd, etcd36) == Yes && below(x, b, release.Etcd, etcd36) == Yes
}

// Stone is the newest known release of minor mv whose etcd is 3.5.26 or later and
// still 3.5: where members can settle before a hop to 3.6. ok is false when the data
// knows none.
func (m EtcdMinimum) Stone(d version.Distro, mv version.MinorVersion) (version.Version, bool) {
	x := m.data()
	list := x.Minor(d, mv)
	for i := len(list) - 1; i >= 0; i-- {
		v := list[i].Version
		if atLeast(x, v, release.Etcd, etcdSafeFrom) == Yes && below(x, v, release.Etcd, etcd36) == Yes {
			return v, true
		}
	}
	return version.Version{}, false
}
