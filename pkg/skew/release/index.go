package release

import (
	"sort"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Index answers questions about a set of releases. It is read-only once built and safe
// for concurrent use.
type Index struct {
	byKey    map[string]*Release
	byDistro map[version.Distro][]*Release // oldest first
	// Origin says where the data came from: "embedded" or the file or URL given.
	Origin string
}

// NewIndex indexes releases (as Decode returns them: no release twice).
func NewIndex(rs []*Release, origin string) *Index {
	x := &Index{byKey: make(map[string]*Release, len(rs)), byDistro: map[version.Distro][]*Release{}, Origin: origin}
	for _, r := range rs {
		r.parse()
		x.byKey[key(r.Version)] = r
		x.byDistro[r.Version.Distro] = append(x.byDistro[r.Version.Distro], r)
	}
	for _, list := range x.byDistro {
		sort.Slice(list, func(i, j int) bool { return list[i].Version.Compare(list[j].Version) < 0 })
	}
	return x
}

// Lookup finds a release; ok is false when the data does not know it.
func (x *Index) Lookup(v version.Version) (*Release, bool) {
	if x == nil {
		return nil, false
	}
	r, ok := x.byKey[key(v)]
	return r, ok
}

// Releases are a distribution's releases, oldest first.
func (x *Index) Releases(d version.Distro) []*Release {
	if x == nil {
		return nil
	}
	return x.byDistro[d]
}

// Minor are a distribution's releases of one minor, oldest first.
func (x *Index) Minor(d version.Distro, m version.MinorVersion) []*Release {
	var out []*Release
	for _, r := range x.Releases(d) {
		if r.Version.MinorVersion() == m {
			out = append(out, r)
		}
	}
	return out
}

// Newest is a distribution's newest release known; nil when there is none.
func (x *Index) Newest(d version.Distro) *Release {
	list := x.Releases(d)
	if len(list) == 0 {
		return nil
	}
	return list[len(list)-1]
}

// NewestOfMinor is the newest known release of a minor; nil when there is none.
func (x *Index) NewestOfMinor(d version.Distro, m version.MinorVersion) *Release {
	list := x.Minor(d, m)
	if len(list) == 0 {
		return nil
	}
	return list[len(list)-1]
}

// Unknown explains a release the data does not know, for messages: newer than the
// data, older than it, or a gap in it.
func (x *Index) Unknown(v version.Version) string {
	newest, oldest := x.Newest(v.Distro), x.oldest(v.Distro)
	switch {
	case newest == nil:
		return v.String() + " is not in the release data, which has no " + v.Distro.Name() + " release"
	case v.Compare(newest.Version) > 0:
		return v.String() + " is newer than the release data (" + x.Origin + ", newest " + newest.Version.String() + dated(newest) + ")"
	case v.Compare(oldest.Version) < 0:
		return v.String() + " is older than the release data (" + x.Origin + ", oldest " + oldest.Version.String() + ")"
	}
	return v.String() + " is not in the release data (" + x.Origin + "): not a published release, or missing from it"
}

func (x *Index) oldest(d version.Distro) *Release {
	list := x.Releases(d)
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

func dated(r *Release) string {
	if r.Date == "" {
		return ""
	}
	return " of " + r.Date
}

// Span is a component's version range over a release: exactly known when the data has
// the release; otherwise bounded by the known releases around it, since a bundled
// component only ever moves forward from one release of a line to the next.
type Span struct {
	// Known is set when the release is in the data: Low == High is its version.
	Known bool
	// Low is the lowest version the release can ship; zero when nothing bounds it.
	Low version.Version
	// HasLow is false when no known release bounds it from below.
	HasLow bool
	// High is the highest version; HasHigh is false when nothing bounds it from above.
	High    version.Version
	HasHigh bool
	// Absent is set when the release is known and does not ship the component.
	Absent bool
}

// Span is what the data says of component c in release v. For an unknown release the
// bounds come from the nearest known releases of the same minor: below it, its newest
// older patch; above it, the oldest newer one. A release newer than every known one of
// its minor has no upper bound: it is never taken to ship less than it may.
func (x *Index) Span(v version.Version, c string) Span {
	if r, ok := x.Lookup(v); ok {
		cv, has := r.Component(c)
		return Span{Known: true, Low: cv, HasLow: has, High: cv, HasHigh: has, Absent: !has}
	}
	var s Span
	for _, r := range x.Minor(v.Distro, v.MinorVersion()) {
		cv, has := r.Component(c)
		if !has {
			continue
		}
		if r.Version.Compare(v) < 0 {
			s.Low, s.HasLow = cv, true
		} else if !s.HasHigh {
			s.High, s.HasHigh = cv, true
		}
	}
	return s
}

// parse fills r.parsed from r.Components, once: an index owns its releases.
func (r *Release) parse() {
	if r.parsed != nil {
		return
	}
	parsed := make(map[string]version.Version, len(r.Components))
	for name, raw := range r.Components {
		if v, err := version.Parse(raw); err == nil {
			parsed[name] = v
		}
	}
	r.parsed = parsed
}
