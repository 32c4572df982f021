package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testCommit is a commit hash for rows read from a notes file.
const testCommit = "0123456789abcdef0123456789abcdef01234567"

// testRow is one valid row as a JSON object, to be changed by a case and marshalled.
func testRow() map[string]any {
	return map[string]any{
		"version":    "v1.33.7+k3s1",
		"date":       "2025-12-19",
		"components": map[string]any{"kubernetes": "v1.33.7", "etcd": "v3.5.25-k3s1", "containerd": "v2.1.5-k3s1.33"},
		"source":     map[string]any{"repo": "k3s-io/docs", "path": "docs/release-notes/v1.33.X.md", "commit": testCommit},
	}
}

// testFile is a whole file of rows, marshalled.
func testFile(t testing.TB, rows ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"apiVersion": APIVersion, "kind": Kind, "releases": rows})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withRow is testFile of one testRow changed by edit.
func withRow(t testing.TB, edit func(r map[string]any)) []byte {
	t.Helper()
	r := testRow()
	edit(r)
	return testFile(t, r)
}

func components(r map[string]any) map[string]any { return r["components"].(map[string]any) }
func source(r map[string]any) map[string]any     { return r["source"].(map[string]any) }

// manyRows is a file of n distinct, valid K3s releases.
func manyRows(n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"apiVersion":%q,"kind":%q,"releases":[`, APIVersion, Kind)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"version":"v1.33.%d+k3s1","components":{"etcd":"v3.5.26"},"source":{"url":"https://example.com/r"}}`, i)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func TestDecodeValid(t *testing.T) {
	rs, err := Decode(testFile(t, testRow()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%d releases, want 1", len(rs))
	}
	r := rs[0]
	if r.Version.String() != "v1.33.7+k3s1" || r.Version.Revision != 1 || r.Date != "2025-12-19" {
		t.Errorf("release %s of %s (revision %d)", r.Version, r.Date, r.Version.Revision)
	}
	if r.Components[Etcd] != "v3.5.25-k3s1" || len(r.Components) != 3 {
		t.Errorf("components %v", r.Components)
	}
	if v, ok := r.Component(Etcd); !ok || v.Major != 3 || v.Minor != 5 || v.Patch != 25 {
		t.Errorf("Component(etcd) = %v, %v", v, ok)
	}
	if _, ok := r.Component(Traefik); ok {
		t.Error("Component(traefik) is set on a release that does not list it")
	}
	if got := strings.Join(r.ComponentNames(), ","); got != "containerd,etcd,kubernetes" {
		t.Errorf("ComponentNames = %s", got)
	}
	if got := r.Source.String(); got != "k3s-io/docs docs/release-notes/v1.33.X.md@0123456789ab" {
		t.Errorf("Source.String = %s", got)
	}

	// Other valid shapes: no date, a URL source, an RKE2 release, a short commit, no
	// kubernetes component, no release at all, whitespace around the object.
	for name, in := range map[string][]byte{
		"no date": withRow(t, func(r map[string]any) { delete(r, "date") }),
		"url source": withRow(t, func(r map[string]any) {
			r["source"] = map[string]any{"url": "https://github.com/k3s-io/k3s/releases/tag/v1.33.7%2Bk3s1"}
		}),
		"rke2":         withRow(t, func(r map[string]any) { r["version"] = "v1.33.7+rke2r3" }),
		"short commit": withRow(t, func(r map[string]any) { source(r)["commit"] = "0123abc" }),
		"no k8s":       withRow(t, func(r map[string]any) { delete(components(r), Kubernetes) }),
		"whitespace":   append(append([]byte("\n  "), testFile(t, testRow())...), "\n\n"...),
		"two":          testFile(t, testRow(), func() map[string]any { r := testRow(); r["version"] = "v1.33.7+k3s3"; return r }()),
	} {
		if _, err := Decode(in); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if rs, err := Decode(manyRows(MaxReleases)); err != nil || len(rs) != MaxReleases {
		t.Errorf("exactly MaxReleases: %d, %v", len(rs), err)
	}
}

// rejectCase is input Decode must refuse, and what its message must say.
type rejectCase struct {
	name string
	in   []byte
	want []string // each must be in the message
}

// rejectCases are TestDecodeRejects' cases, also FuzzDecode's seeds.
func rejectCases(t testing.TB) []rejectCase {
	valid := testFile(t, testRow())
	long := strings.Repeat("x", 10000)
	big := append(append([]byte(nil), valid...), bytes.Repeat([]byte(" "), MaxBytes+1-len(valid))...)
	return []rejectCase{
		{"empty input", nil, []string{"empty"}},
		{"no releases", testFile(t), []string{"no releases"}},
		{"null releases", []byte(`{"apiVersion": "` + APIVersion + `", "kind": "` + Kind + `", "releases": null}`), []string{"no releases"}},
		{"a top-level array", []byte(`[1]`), []string{"not an object"}},
		{"a spelling of a listed release", testFile(t, testRow(), func() map[string]any { r := testRow(); r["version"] = "v1.33.7+k3s01"; return r }()), []string{"listed twice"}},
		{"a release twice, contradicting itself", testFile(t, testRow(), func() map[string]any { r := testRow(); components(r)["etcd"] = "v3.6.7-k3s1"; return r }()),
			[]string{"releases[1]: v1.33.7+k3s1 is listed twice (also releases[0], which gives etcd v3.5.25-k3s1, this row v3.6.7-k3s1)"}},
		{"a release twice, one row without a component", testFile(t, testRow(), func() map[string]any { r := testRow(); delete(components(r), "containerd"); return r }()),
			[]string{"which gives containerd v2.1.5-k3s1.33, this row none"}},
		{"an escape in a source", withRow(t, func(r map[string]any) { source(r)["path"] = "docs/\x1b[2Jx.md" }), []string{"control characters"}},
		{"a release twice, the same", testFile(t, testRow(), testRow()), []string{"listed twice (also releases[0], with the same components)"}},
		{"a component with a line break", withRow(t, func(r map[string]any) { components(r)["etcd"] = "v3.5.25\n" }), []string{"line breaks"}},
		{"only whitespace", []byte(" \n\t "), []string{"empty"}},
		{"not JSON", []byte("releases:\n- v1.33.7+k3s1\n"), []string{"not JSON at byte 1"}},
		{"truncated JSON", valid[:len(valid)-2], []string{"truncated JSON"}},
		{"second JSON value", append(append([]byte(nil), valid...), valid...), []string{"more than one JSON value"}},
		{"trailing data", append(append([]byte(nil), valid...), " ]"...), []string{"trailing data"}},
		{"not an object", []byte(`[{"version":"v1.33.7+k3s1"}]`), []string{"array"}},
		{"unknown top-level field", bytes.Replace(valid, []byte(`"kind"`), []byte(`"comment":"x","kind"`), 1), []string{`unknown field "comment"`}},
		{"unknown row field", withRow(t, func(r map[string]any) { r["notes"] = "see the notes" }), []string{`unknown field "notes"`}},
		{"unknown source field", withRow(t, func(r map[string]any) { source(r)["branch"] = "main" }), []string{`unknown field "branch"`}},
		{"components not a map", withRow(t, func(r map[string]any) { r["components"] = []string{"etcd"} }), []string{"field releases.components"}},
		{"component not a string", withRow(t, func(r map[string]any) { components(r)["etcd"] = 3.5 }), []string{"field releases.components", "number"}},
		{"wrong apiVersion", bytes.Replace(valid, []byte("/v1"), []byte("/v2"), 1), []string{`apiVersion "releases.kubectl-skew.io/v2"`, "want " + APIVersion}},
		{"wrong kind", bytes.Replace(valid, []byte(`"ReleaseData"`), []byte(`"ChannelList"`), 1), []string{`kind "ChannelList"`}},
		{"no apiVersion", []byte(`{"releases":[]}`), []string{`apiVersion "" kind ""`}},
		{"upstream version", withRow(t, func(r map[string]any) { r["version"] = "v1.33.1"; delete(components(r), Kubernetes) }), []string{"releases[0]", `"v1.33.1" is not a K3s or RKE2 release`}},
		{"eks version", withRow(t, func(r map[string]any) { r["version"] = "v1.33.1-eks-1"; delete(components(r), Kubernetes) }), []string{"releases[0]", `"v1.33.1-eks-1" is not a K3s or RKE2 release`}},
		{"major 2", withRow(t, func(r map[string]any) { r["version"] = "v2.0.1+k3s1"; delete(components(r), Kubernetes) }), []string{"is not a K3s or RKE2 release"}},
		{"not a version", withRow(t, func(r map[string]any) { r["version"] = "latest" }), []string{"releases[0]", `"latest" is not of the form`}},
		{"no version", withRow(t, func(r map[string]any) { delete(r, "version") }), []string{"releases[0]: empty version"}},
		{"null row", []byte(`{"apiVersion":"` + APIVersion + `","kind":"` + Kind + `","releases":[null]}`), []string{"releases[0]: empty version"}},
		{"date with slashes", withRow(t, func(r map[string]any) { r["date"] = "2025/12/19" }), []string{"v1.33.7+k3s1", `date "2025/12/19" is not YYYY-MM-DD`}},
		{"date as in the notes", withRow(t, func(r map[string]any) { r["date"] = "Dec 19 2025" }), []string{"is not YYYY-MM-DD"}},
		{"month 13", withRow(t, func(r map[string]any) { r["date"] = "2025-13-01" }), []string{"is not YYYY-MM-DD"}},
		{"no components", withRow(t, func(r map[string]any) { r["components"] = map[string]any{} }), []string{"v1.33.7+k3s1: 0 components"}},
		{"null components", withRow(t, func(r map[string]any) { delete(r, "components") }), []string{"0 components"}},
		{"too many components", withRow(t, func(r map[string]any) {
			for i := 0; i <= maxComponents; i++ {
				components(r)[fmt.Sprintf("c%d", i)] = "v1.0.0"
			}
		}), []string{"components (want 1 to 64)"}},
		{"component name with capitals", withRow(t, func(r map[string]any) { components(r)["Etcd"] = "v3.5.25" }), []string{`component name "Etcd"`}},
		{"component name with a space", withRow(t, func(r map[string]any) { components(r)["metrics server"] = "v0.7.2" }), []string{`component name "metrics server"`}},
		{"component value not a version", withRow(t, func(r map[string]any) { components(r)["traefik"] = "N/A" }), []string{"v1.33.7+k3s1: component traefik", `"N/A"`}},
		{"component value empty", withRow(t, func(r map[string]any) { components(r)["traefik"] = "" }), []string{"component traefik: empty version"}},
		{"kubernetes contradicts", withRow(t, func(r map[string]any) { components(r)[Kubernetes] = "v1.33.6" }), []string{"v1.33.7+k3s1: its kubernetes component v1.33.6 contradicts the release"}},
		{"kubernetes of another minor", withRow(t, func(r map[string]any) { components(r)[Kubernetes] = "v1.32.7" }), []string{"contradicts the release"}},
		{"listed twice", testFile(t, testRow(), testRow()), []string{"releases[1]: v1.33.7+k3s1 is listed twice (also releases[0], with the same components)"}},
		{"listed twice, spelled differently", testFile(t, testRow(), func() map[string]any {
			r := testRow()
			r["version"] = "1.33.7+k3s1"
			return r
		}()), []string{"releases[1]: 1.33.7+k3s1 is listed twice (also releases[0]"}},
		{"repository without commit", withRow(t, func(r map[string]any) { delete(source(r), "commit") }), []string{"v1.33.7+k3s1: source: a repository source needs a path and a commit hash"}},
		{"repository with a branch", withRow(t, func(r map[string]any) { source(r)["commit"] = "main" }), []string{"needs a path and a commit hash"}},
		{"repository without path", withRow(t, func(r map[string]any) { delete(source(r), "path") }), []string{"needs a path and a commit hash"}},
		{"no source", withRow(t, func(r map[string]any) { delete(r, "source") }), []string{"source: name a repository, path and commit, or an https URL"}},
		{"http URL source", withRow(t, func(r map[string]any) {
			r["source"] = map[string]any{"url": "http://docs.k3s.io/release-notes/v1.33.X"}
		}), []string{"or an https URL"}},
		{"newline in a source field", withRow(t, func(r map[string]any) { source(r)["path"] = "docs/release-notes/\nv1.33.X.md" }), []string{"source: a field is longer than 256 characters or holds control characters"}},
		{"newline in the date", withRow(t, func(r map[string]any) { r["date"] = "2025-12-19\n" }), []string{"is not YYYY-MM-DD"}},
		{"newline in the version", withRow(t, func(r map[string]any) { r["version"] = "v1.33.7\n+k3s1" }), []string{"releases[0]", "is not of the form"}},
		{"newline in a component name", withRow(t, func(r map[string]any) { components(r)["et\ncd"] = "v3.5.25" }), []string{`component name "et cd"`}},
		{"over MaxBytes", big, []string{fmt.Sprintf("%d bytes, more than the limit of %d", MaxBytes+1, MaxBytes)}},
		{"over MaxReleases", manyRows(MaxReleases + 1), []string{fmt.Sprintf("%d releases, more than the limit of %d", MaxReleases+1, MaxReleases)}},
		// Long outside text is clipped, never echoed whole.
		{"long apiVersion", bytes.Replace(valid, []byte(APIVersion), []byte(long), 1), []string{"xxx..."}},
		{"long unknown field", withRow(t, func(r map[string]any) { r[long] = 1 }), []string{"unknown field", "xxx..."}},
		{"long version", withRow(t, func(r map[string]any) { r["version"] = "v1.33.7+k3s" + long }), []string{"releases[0]", "is longer than 128 characters"}},
		{"long non-K3s version", withRow(t, func(r map[string]any) { r["version"] = "v1.33.7-" + strings.Repeat("x", 110) }), []string{"is not a K3s or RKE2 release", "xxx..."}},
		{"long date", withRow(t, func(r map[string]any) { r["date"] = long }), []string{"is not YYYY-MM-DD", "xxx..."}},
		{"long component name", withRow(t, func(r map[string]any) { components(r)[long] = "v1.0.0" }), []string{"component name", "xxx..."}},
		{"long component value", withRow(t, func(r map[string]any) { components(r)["traefik"] = "v3." + long }), []string{"component traefik", "is longer than 128 characters"}},
		{"long source path", withRow(t, func(r map[string]any) { source(r)["path"] = long }), []string{"longer than 256 characters"}},
		{"long URL", withRow(t, func(r map[string]any) { r["source"] = map[string]any{"url": "https://" + long} }), []string{"longer than 256 characters"}},
	}
}

func TestDecodeRejects(t *testing.T) {
	for _, tc := range rejectCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Decode(tc.in)
			if err == nil {
				t.Fatalf("decoded %d releases, want an error", len(rs))
			}
			if !errors.Is(err, ErrBadData) {
				t.Errorf("error %q is not ErrBadData", err)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "bad release data: ") {
				t.Errorf("message %q does not start with ErrBadData's text", msg)
			}
			if strings.ContainsAny(msg, "\n\r") || len(msg) > 250 {
				t.Errorf("message is not one short line (%d bytes): %q", len(msg), msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not say %q", msg, w)
				}
			}
		})
	}
}

// Encode's form: sorted by distribution then release, one release per line, and it
// decodes back to the same releases whatever the input's order.
func TestEncode(t *testing.T) {
	var rows []map[string]any
	for _, v := range []string{"v1.33.7+rke2r1", "v1.33.7+k3s3", "v1.32.11+k3s1", "v1.33.10+k3s1", "v1.33.7+k3s1"} {
		r := testRow()
		r["version"] = v
		delete(components(r), Kubernetes)
		rows = append(rows, r)
	}
	rs, err := Decode(testFile(t, rows...))
	if err != nil {
		t.Fatal(err)
	}
	out := Encode(rs)
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(rows)+2 || lines[0] != `{"apiVersion": "releases.kubectl-skew.io/v1", "kind": "ReleaseData", "releases": [` || lines[len(lines)-1] != "]}" {
		t.Fatalf("not one release per line:\n%s", out)
	}
	var order []string
	for _, l := range lines[1 : len(lines)-1] {
		var r releaseJSON
		if err := json.Unmarshal([]byte(strings.TrimSuffix(l, ",")), &r); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		order = append(order, r.Version)
	}
	if got := strings.Join(order, " "); got != "v1.32.11+k3s1 v1.33.7+k3s1 v1.33.7+k3s3 v1.33.10+k3s1 v1.33.7+rke2r1" {
		t.Errorf("order %s", got)
	}
	back, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if !sameReleases(rs, back) {
		t.Error("Decode(Encode(rs)) differs from rs")
	}
	if !bytes.Equal(Encode(back), out) {
		t.Error("Encode is not stable")
	}
	if got := string(Encode(nil)); got != "{\"apiVersion\": \"releases.kubectl-skew.io/v1\", \"kind\": \"ReleaseData\", \"releases\": [\n]}\n" {
		t.Errorf("Encode(nil) = %q", got)
	}
	if _, err := Decode(Encode(nil)); !errors.Is(err, ErrBadData) {
		t.Errorf("Decode(Encode(nil)): %v, want no releases refused", err)
	}
}

// sameReleases compares two lists as sets of releases: version as written, date,
// components and source.
func sameReleases(a, b []*Release) bool {
	if len(a) != len(b) {
		return false
	}
	byKey := map[string]*Release{}
	for _, r := range a {
		byKey[key(r.Version)] = r
	}
	for _, r := range b {
		o, ok := byKey[key(r.Version)]
		if !ok || o.Version.String() != r.Version.String() || o.Date != r.Date || o.Source != r.Source || len(o.Components) != len(r.Components) {
			return false
		}
		for k, v := range o.Components {
			if rv, ok := r.Components[k]; !ok || rv != v {
				return false
			}
		}
	}
	return true
}
