package release

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var (
	v128      = version.MinorVersion{Major: 1, Minor: 28}
	fullHash  = regexp.MustCompile(`^[0-9a-f]{40}$`)
	notesPath = regexp.MustCompile(`^docs/release-notes(?:-old)?/v1\.(\d+)\.X\.md$`)
	distros   = []version.Distro{version.K3s, version.RKE2}
	// notesRepo is the repository each distribution's notes are read from.
	notesRepo = map[version.Distro]string{version.K3s: "k3s-io/docs", version.RKE2: "rancher/rke2-docs"}
)

// TestEmbeddedIsCanonical: the embedded data decodes, is what make release-data writes
// (so a hand edit, or a generator change not rerun, shows), covers both distributions
// from v1.28 on, and every release names where it was read.
func TestEmbeddedIsCanonical(t *testing.T) {
	onDisk, err := os.ReadFile(filepath.Join("data", "releases.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk, embedded) {
		t.Fatal("data/releases.json differs from the embedded bytes: rebuild")
	}
	rs, err := Decode(embedded)
	if err != nil {
		t.Fatalf("the embedded data does not decode: %v", err)
	}
	if out := Encode(rs); !bytes.Equal(out, embedded) {
		a, b := strings.Split(string(embedded), "\n"), strings.Split(string(out), "\n")
		for i := 0; i < len(a) && i < len(b); i++ {
			if a[i] != b[i] {
				t.Fatalf("data/releases.json is not in the canonical form (edited by hand?): line %d is\n  %s\nEncode writes\n  %s\nregenerate it with make release-data", i+1, a[i], b[i])
			}
		}
		t.Fatalf("data/releases.json is not in the canonical form: %d lines, Encode writes %d; regenerate it with make release-data", len(a), len(b))
	}

	x := Embedded()
	if n := len(x.Releases(version.K3s)) + len(x.Releases(version.RKE2)); n != len(rs) {
		t.Errorf("the index holds %d K3s and RKE2 releases of %d", n, len(rs))
	}
	for _, d := range distros {
		list := x.Releases(d)
		if len(list) == 0 {
			t.Fatalf("no %s release", d.Name())
		}
		if got := list[0].Version.MinorVersion(); got != v128 {
			t.Errorf("%s: the oldest release is %s, want one of v1.28", d.Name(), list[0].Version)
		}
		// Every minor from v1.28 to the newest has releases.
		newest := x.Newest(d).Version.MinorVersion()
		for m := v128; m.Compare(newest) <= 0; m = m.Add(1) {
			if len(x.Minor(d, m)) == 0 {
				t.Errorf("%s: no release of %s, between v1.28 and %s", d.Name(), m, newest)
			}
		}
	}

	for _, r := range rs {
		d := r.Version.Distro
		s := r.Source
		switch {
		case s.Repo != "":
			m := notesPath.FindStringSubmatch(s.Path)
			if s.Repo != notesRepo[d] || m == nil || m[1] != r.Version.MinorString()[3:] || !fullHash.MatchString(s.Commit) || s.URL != "" {
				t.Errorf("%s: source %+v is not the %s notes of its minor at a full commit hash", r.Version, s, notesRepo[d])
			}
		case !strings.HasPrefix(s.URL, "https://"):
			t.Errorf("%s: source %+v names neither notes nor an https page", r.Version, s)
		}
		// Every release lists Kubernetes (matching, which Decode checks), etcd and containerd.
		for _, c := range []string{Kubernetes, Etcd, Containerd} {
			if _, ok := r.Component(c); !ok {
				t.Errorf("%s: no %s version", r.Version, c)
			}
		}
		if r.Date == "" && s.Repo != "" {
			t.Errorf("%s: read from the notes, but no date", r.Version)
		}
	}
}

// Facts the release notes state, as the embedded data gives them (docs/releases.md):
// the etcd v3.5.26 stepping stone and 3.6, Traefik 3, ingress-nginx 1.12.
func TestEmbeddedFacts(t *testing.T) {
	x := Embedded()
	for _, tc := range []struct {
		release, component, want string
	}{
		// etcd v3.5.26, the release 3.6 may follow, came in revisions of the same patch.
		{"v1.32.11+k3s1", Etcd, "v3.5.25-k3s1"},
		{"v1.32.11+k3s3", Etcd, "v3.5.26-k3s1"},
		{"v1.33.7+k3s1", Etcd, "v3.5.25-k3s1"},
		{"v1.33.7+k3s3", Etcd, "v3.5.26-k3s1"},
		{"v1.32.11+rke2r3", Etcd, "v3.5.26-k3s1"},
		{"v1.33.7+rke2r3", Etcd, "v3.5.26-k3s1"},
		// v1.33 moved to etcd 3.6 within the minor, in both distributions.
		{"v1.33.10+k3s1", Etcd, "v3.5.26-k3s1"},
		{"v1.33.11+k3s1", Etcd, "v3.6."},
		{"v1.33.10+rke2r1", Etcd, "v3.5.26-k3s1"},
		{"v1.33.11+rke2r1", Etcd, "v3.6."},
		// K3s moved to Traefik 3 in a v1.32 patch.
		{"v1.32.1+k3s1", Traefik, "v2.11."},
		{"v1.32.2+k3s1", Traefik, "v3."},
		// RKE2's ingress-nginx 1.12.
		{"v1.31.5+rke2r1", IngressNginx, "v1.12."},
	} {
		r, ok := x.Lookup(version.MustParse(tc.release))
		if !ok {
			t.Errorf("%s is not in the embedded data", tc.release)
			continue
		}
		got := r.Components[tc.component]
		if exact := !strings.HasSuffix(tc.want, "."); (exact && got != tc.want) || (!exact && !strings.HasPrefix(got, tc.want)) {
			t.Errorf("%s ships %s %q, want %s", tc.release, tc.component, got, tc.want)
		}
	}
}

// Within one minor of one distribution, etcd never goes down from a release to the next:
// Span bounds an unknown release by its neighbours on that assumption.
func TestEmbeddedEtcdNeverGoesDown(t *testing.T) {
	x := Embedded()
	for _, d := range distros {
		list := x.Releases(d)
		for i := 1; i < len(list); i++ {
			prev, cur := list[i-1], list[i]
			if prev.Version.MinorVersion() != cur.Version.MinorVersion() {
				continue
			}
			pv, ok1 := prev.Component(Etcd)
			cv, ok2 := cur.Component(Etcd)
			if !ok1 || !ok2 {
				t.Errorf("%s or %s has no etcd version", prev.Version, cur.Version)
				continue
			}
			if cv.Compare(pv) < 0 {
				t.Errorf("%s: etcd goes down from %s in %s to %s", d.Name(), prev.Components[Etcd], prev.Version, cur.Components[Etcd])
			}
		}
	}
}
