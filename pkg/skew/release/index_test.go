package release

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var (
	v133 = version.MinorVersion{Major: 1, Minor: 33}
	v130 = version.MinorVersion{Major: 1, Minor: 30}
)

// rel is a release for index tests; components are name, version pairs.
func rel(v, date string, kv ...string) *Release {
	r := &Release{Version: version.MustParse(v), Date: date, Components: map[string]string{},
		Source: Source{Repo: "k3s-io/docs", Path: "docs/release-notes/v1.33.X.md", Commit: testCommit}}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Components[kv[i]] = kv[i+1]
	}
	return r
}

// testIndex is a few K3s releases out of order (gaps in v1.33, a revision gap, no
// Traefik in some) and one RKE2 release.
func testIndex() *Index {
	return NewIndex([]*Release{
		rel("v1.33.9+k3s1", "2026-03-01", Etcd, "v3.5.26-k3s1", Traefik, "v3.6.7"),
		rel("v1.33.5+k3s1", "2025-10-01", Etcd, "v3.5.21-k3s1"),
		rel("v1.34.1+k3s1", "", Etcd, "v3.6.4-k3s1", Traefik, "v3.6.7"),
		rel("v1.33.7+k3s3", "2026-02-03", Etcd, "v3.5.26-k3s1"),
		rel("v1.32.1+k3s1", "2025-01-28", Etcd, "v3.5.16-k3s1", Traefik, "v2.11.18"),
		rel("v1.33.7+k3s1", "2025-12-19", Etcd, "v3.5.25-k3s1", Traefik, "v3.5.1"),
		rel("v1.33.7+rke2r1", "2025-12-20", Etcd, "v3.5.25-k3s1", IngressNginx, "v1.13.5-hardened2"),
	}, "test")
}

func versions(rs []*Release) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Version.String())
	}
	return strings.Join(out, " ")
}

func TestIndexLookup(t *testing.T) {
	x := testIndex()
	for _, tc := range []struct {
		v    string
		want string // the release found, "" for none
	}{
		{"v1.33.7+k3s3", "v1.33.7+k3s3"},
		{"1.33.7+k3s3", "v1.33.7+k3s3"},
		{"v1.33.7+k3s1", "v1.33.7+k3s1"},
		{"v1.33.7+rke2r1", "v1.33.7+rke2r1"},
		{"1.33.7+rke2r1", "v1.33.7+rke2r1"},
		{"v1.33.7+k3s2", ""},
		{"v1.33.7+rke2r3", ""},
		{"v1.33.7", ""},
		{"v1.33.6+k3s1", ""},
	} {
		r, ok := x.Lookup(version.MustParse(tc.v))
		got := ""
		if ok {
			got = r.Version.String()
		}
		if got != tc.want {
			t.Errorf("Lookup(%s) = %q, want %q", tc.v, got, tc.want)
		}
	}
	var none *Index
	if _, ok := none.Lookup(version.MustParse("v1.33.7+k3s1")); ok || none.Releases(version.K3s) != nil || none.Newest(version.K3s) != nil {
		t.Error("a nil Index knows something")
	}
}

func TestIndexOrdering(t *testing.T) {
	x := testIndex()
	if got := versions(x.Releases(version.K3s)); got != "v1.32.1+k3s1 v1.33.5+k3s1 v1.33.7+k3s1 v1.33.7+k3s3 v1.33.9+k3s1 v1.34.1+k3s1" {
		t.Errorf("Releases(k3s) = %s", got)
	}
	if got := versions(x.Minor(version.K3s, v133)); got != "v1.33.5+k3s1 v1.33.7+k3s1 v1.33.7+k3s3 v1.33.9+k3s1" {
		t.Errorf("Minor(k3s, v1.33) = %s", got)
	}
	if got := versions(x.Minor(version.RKE2, v133)); got != "v1.33.7+rke2r1" {
		t.Errorf("Minor(rke2, v1.33) = %s", got)
	}
	if got := x.Minor(version.K3s, v130); len(got) != 0 {
		t.Errorf("Minor(k3s, v1.30) = %s", versions(got))
	}
	if got := x.Newest(version.K3s); got == nil || got.Version.String() != "v1.34.1+k3s1" {
		t.Errorf("Newest(k3s) = %v", got)
	}
	if got := x.Newest(version.Other); got != nil {
		t.Errorf("Newest(other) = %s", got.Version)
	}
	if got := x.NewestOfMinor(version.K3s, v133); got == nil || got.Version.String() != "v1.33.9+k3s1" {
		t.Errorf("NewestOfMinor(k3s, v1.33) = %v", got)
	}
	if got := x.NewestOfMinor(version.K3s, v130); got != nil {
		t.Errorf("NewestOfMinor(k3s, v1.30) = %s", got.Version)
	}
	// Revisions order: +k3s3 is newer than +k3s1 of the same patch, and +k3s10 than +k3s9.
	y := NewIndex([]*Release{
		rel("v1.33.7+k3s3", "", Etcd, "v3.5.26"), rel("v1.33.7+k3s10", "", Etcd, "v3.5.26"),
		rel("v1.33.7+k3s1", "", Etcd, "v3.5.25"), rel("v1.33.7+k3s9", "", Etcd, "v3.5.26"),
	}, "revisions")
	if got := versions(y.Minor(version.K3s, v133)); got != "v1.33.7+k3s1 v1.33.7+k3s3 v1.33.7+k3s9 v1.33.7+k3s10" {
		t.Errorf("revisions: %s", got)
	}
	if got := y.NewestOfMinor(version.K3s, v133); got.Version.String() != "v1.33.7+k3s10" {
		t.Errorf("NewestOfMinor over revisions = %s", got.Version)
	}
	if x.Origin != "test" || Embedded().Origin != "embedded" {
		t.Errorf("Origin %q, embedded %q", x.Origin, Embedded().Origin)
	}
}

func TestIndexUnknown(t *testing.T) {
	x := testIndex()
	for _, tc := range []struct{ v, want string }{
		{"v1.35.0+k3s1", "v1.35.0+k3s1 is newer than the release data (test, newest v1.34.1+k3s1)"},
		{"v1.34.2+k3s1", "v1.34.2+k3s1 is newer than the release data (test, newest v1.34.1+k3s1)"},
		{"v1.33.8+rke2r1", "v1.33.8+rke2r1 is newer than the release data (test, newest v1.33.7+rke2r1 of 2025-12-20)"},
		{"v1.31.4+k3s1", "v1.31.4+k3s1 is older than the release data (test, oldest v1.32.1+k3s1)"},
		{"v1.33.6+k3s1", "v1.33.6+k3s1 is not in the release data (test): not a published release, or missing from it"},
		{"v1.33.7+k3s2", "v1.33.7+k3s2 is not in the release data (test): not a published release, or missing from it"},
		{"v1.33.1+rke2r1", "v1.33.1+rke2r1 is older than the release data (test, oldest v1.33.7+rke2r1)"},
	} {
		if got := x.Unknown(version.MustParse(tc.v)); got != tc.want {
			t.Errorf("Unknown(%s) =\n  %s\nwant\n  %s", tc.v, got, tc.want)
		}
	}
	k3sOnly := NewIndex([]*Release{rel("v1.33.7+k3s1", "", Etcd, "v3.5.25")}, "k3s.json")
	if got, want := k3sOnly.Unknown(version.MustParse("v1.33.7+rke2r1")), "v1.33.7+rke2r1 is not in the release data, which has no RKE2 release"; got != want {
		t.Errorf("no distro: %q, want %q", got, want)
	}
	if got, want := NewIndex(nil, "empty").Unknown(version.MustParse("v1.33.7+k3s1")), "v1.33.7+k3s1 is not in the release data, which has no K3s release"; got != want {
		t.Errorf("empty data: %q, want %q", got, want)
	}
}

func TestIndexSpan(t *testing.T) {
	x := testIndex()
	mp := version.MustParse
	for _, tc := range []struct {
		name, v, c string
		want       Span
	}{
		{"known", "v1.33.7+k3s1", Etcd, Span{Known: true, Low: mp("v3.5.25-k3s1"), HasLow: true, High: mp("v3.5.25-k3s1"), HasHigh: true}},
		{"known, other spelling", "1.33.7+k3s3", Etcd, Span{Known: true, Low: mp("v3.5.26-k3s1"), HasLow: true, High: mp("v3.5.26-k3s1"), HasHigh: true}},
		{"known, not listed", "v1.33.5+k3s1", Traefik, Span{Known: true, Absent: true}},
		{"known RKE2, not listed", "v1.33.7+rke2r1", Traefik, Span{Known: true, Absent: true}},
		{"unknown patch between two", "v1.33.6+k3s1", Etcd, Span{Low: mp("v3.5.21-k3s1"), HasLow: true, High: mp("v3.5.25-k3s1"), HasHigh: true}},
		{"unknown revision between two", "v1.33.7+k3s2", Etcd, Span{Low: mp("v3.5.25-k3s1"), HasLow: true, High: mp("v3.5.26-k3s1"), HasHigh: true}},
		{"unknown patch, neighbours without it skipped", "v1.33.8+k3s1", Traefik, Span{Low: mp("v3.5.1"), HasLow: true, High: mp("v3.6.7"), HasHigh: true}},
		{"newer than every known of its minor", "v1.33.12+k3s1", Etcd, Span{Low: mp("v3.5.26-k3s1"), HasLow: true}},
		{"older than every known of its minor", "v1.33.1+k3s1", Etcd, Span{High: mp("v3.5.21-k3s1"), HasHigh: true}},
		{"unknown minor", "v1.30.2+k3s1", Etcd, Span{}},
		{"newer minor than the data", "v1.35.0+k3s1", Etcd, Span{}},
		{"another distribution's minor", "v1.32.1+rke2r1", Etcd, Span{}},
		{"a component nobody lists", "v1.33.6+k3s1", Cilium, Span{}},
	} {
		got := x.Span(mp(tc.v), tc.c)
		if !sameSpan(got, tc.want) {
			t.Errorf("%s: Span(%s, %s) = %+v, want %+v", tc.name, tc.v, tc.c, got, tc.want)
		}
	}
}

func sameSpan(a, b Span) bool {
	return a.Known == b.Known && a.Absent == b.Absent && a.HasLow == b.HasLow && a.HasHigh == b.HasHigh &&
		a.Low.String() == b.Low.String() && a.High.String() == b.High.String()
}

func TestChanges(t *testing.T) {
	a := rel("v1.33.7+k3s1", "", Kubernetes, "v1.33.7", Etcd, "v3.5.25-k3s1", Containerd, "v2.1.5-k3s1.33", Traefik, "v3.5.1", Flannel, "v0.27.4")
	b := rel("v1.34.1+k3s1", "", Kubernetes, "v1.34.1", Etcd, "v3.6.4-k3s1", Containerd, "v2.1.5-k3s1.33", Traefik, "v3.6.7", CoreDNS, "v1.12.3")
	cs := Changes(a, b)
	var got []string
	for _, c := range cs {
		got = append(got, c.String())
	}
	want := []string{
		"coredns (not listed) -> v1.12.3",
		"etcd v3.5.25-k3s1 -> v3.6.4-k3s1",
		"flannel v0.27.4 -> (not listed)",
		"traefik v3.5.1 -> v3.6.7",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Changes =\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if cs[0].From != "" || cs[0].To != "v1.12.3" || cs[2].To != "" {
		t.Errorf("From/To of an unlisted component are not empty: %+v", cs)
	}
	if back := Changes(b, a); len(back) != 4 || back[1].String() != "etcd v3.6.4-k3s1 -> v3.5.25-k3s1" {
		t.Errorf("Changes(b, a) = %v", back)
	}
	if same := Changes(a, a); len(same) != 0 {
		t.Errorf("Changes(a, a) = %v", same)
	}
	// Only Kubernetes differs: nothing to say, the hop names it.
	c := rel("v1.33.8+k3s1", "", Kubernetes, "v1.33.8", Etcd, "v3.5.25-k3s1", Containerd, "v2.1.5-k3s1.33", Traefik, "v3.5.1", Flannel, "v0.27.4")
	if cs := Changes(a, c); len(cs) != 0 {
		t.Errorf("Changes over kubernetes only = %v", cs)
	}

	for _, tc := range []struct {
		only []string
		want string
	}{
		{nil, "coredns (not listed) -> v1.12.3, etcd v3.5.25-k3s1 -> v3.6.4-k3s1, flannel v0.27.4 -> (not listed), traefik v3.5.1 -> v3.6.7"},
		{[]string{Etcd, Traefik}, "etcd v3.5.25-k3s1 -> v3.6.4-k3s1, traefik v3.5.1 -> v3.6.7"},
		{[]string{Traefik, Etcd, Containerd}, "etcd v3.5.25-k3s1 -> v3.6.4-k3s1, traefik v3.5.1 -> v3.6.7"},
		{[]string{Containerd, IngressNginx}, ""},
		{[]string{Kubernetes}, ""},
	} {
		if got := SummarizeChanges(cs, tc.only...); got != tc.want {
			t.Errorf("SummarizeChanges(only %v) = %q, want %q", tc.only, got, tc.want)
		}
	}
	if got := SummarizeChanges(nil); got != "" {
		t.Errorf("SummarizeChanges(nil) = %q", got)
	}
}
