package version

import (
	"sort"
	"testing"
)

func TestParseDistributionStrings(t *testing.T) {
	tests := []struct {
		in                  string
		major, minor, patch uint64
		pre, vendor, build  string
		distro              Distro
		revision            int
	}{
		{"v1.32.5+k3s1", 1, 32, 5, "", "", "k3s1", K3s, 1},
		{"v1.28.4-rc1+k3s1", 1, 28, 4, "rc1", "", "k3s1", K3s, 1},
		{"v1.34.10+rke2r1", 1, 34, 10, "", "", "rke2r1", RKE2, 1},
		{"v1.30.4+rke2r2", 1, 30, 4, "", "", "rke2r2", RKE2, 2},
		{"v1.25.9-eks-0a21954", 1, 25, 9, "", "eks-0a21954", "", Other, 0},
		{"v1.21.9-gke.300", 1, 21, 9, "", "gke.300", "", Other, 0},
		{"v1.29.7", 1, 29, 7, "", "", "", Other, 0},
		{"v1.30.0+k0s", 1, 30, 0, "", "", "k0s", Other, 0},
		{"v1.25.7+eab9cc9", 1, 25, 7, "", "", "eab9cc9", Other, 0},
		{"v1.21.5-3+83e2bb7ee39726", 1, 21, 5, "", "3", "83e2bb7ee39726", Other, 0},
		{"v1.33.0-alpha.1", 1, 33, 0, "alpha.1", "", "", Other, 0},
		{"v1.33.0-beta.0", 1, 33, 0, "beta.0", "", "", Other, 0},
		{"1.29.7", 1, 29, 7, "", "", "", Other, 0},
		{"v1.32", 1, 32, 0, "", "", "", Other, 0},
		{" v1.29.7 ", 1, 29, 7, "", "", "", Other, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if v.Major != tt.major || v.Minor != tt.minor || v.Patch != tt.patch {
				t.Errorf("got %d.%d.%d, want %d.%d.%d", v.Major, v.Minor, v.Patch, tt.major, tt.minor, tt.patch)
			}
			if v.PreRelease != tt.pre || v.VendorSuffix != tt.vendor || v.Build != tt.build {
				t.Errorf("got pre %q vendor %q build %q, want %q %q %q", v.PreRelease, v.VendorSuffix, v.Build, tt.pre, tt.vendor, tt.build)
			}
			if v.Distro != tt.distro || v.Revision != tt.revision {
				t.Errorf("got distro %s rev %d, want %s %d", v.Distro, v.Revision, tt.distro, tt.revision)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"", "garbage", "v1", "vv1.2.3", "v1.2.3.4", "v01.2.3", "1.x.3", "v-1.2.3",
		"v1.2.3 extra", "v1.2.3-", "v99999999999.1.1", "v1.2.3+k3s1\nv1.2.4",
		"v1.30.0+" + string(make([]byte, 200)),
	} {
		if v, err := Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, v)
		}
	}
}

func TestCompareOrdersReleases(t *testing.T) {
	// Each entry is a newer release than the one before it.
	ordered := []string{
		"v1.24.17",
		"v1.28.4-rc1+k3s1",
		"v1.28.4+k3s1",
		"v1.28.4+k3s2",
		"v1.28.5+k3s1",
		"v1.30.4+rke2r1",
		"v1.30.4+rke2r2",
		"v1.30.10+rke2r1",
		"v1.33.0-alpha.1",
		"v1.33.0-beta.0",
		"v1.33.0-rc.1",
		"v1.33.0",
	}
	for i := 1; i < len(ordered); i++ {
		a, b := MustParse(ordered[i-1]), MustParse(ordered[i])
		if a.Compare(b) >= 0 || b.Compare(a) <= 0 {
			t.Errorf("want %s < %s", a, b)
		}
	}
	shuffled := []Version{}
	for i := len(ordered) - 1; i >= 0; i-- {
		shuffled = append(shuffled, MustParse(ordered[i]))
	}
	sort.Slice(shuffled, func(i, j int) bool { return shuffled[i].LessThan(shuffled[j]) })
	for i, v := range shuffled {
		if v.String() != ordered[i] {
			t.Errorf("sorted[%d] = %s, want %s", i, v, ordered[i])
		}
	}
}

func TestVendorSuffixDoesNotOrder(t *testing.T) {
	eks, plain := MustParse("v1.25.9-eks-0a21954"), MustParse("v1.25.9")
	if eks.Compare(plain) != 0 {
		t.Errorf("a vendor suffix must not make %s older than %s", eks, plain)
	}
	if MustParse("v1.21.9-gke.300").Compare(MustParse("v1.21.9-gke.1000")) != 0 {
		t.Error("GKE build numbers are vendor builds of one release")
	}
}

func TestMinorArithmetic(t *testing.T) {
	a, b := MustParse("v1.30.4+k3s1"), MustParse("v1.26.15+k3s1")
	if got := a.MinorsAhead(b); got != 4 {
		t.Errorf("MinorsAhead = %d, want 4", got)
	}
	if got := b.MinorsAhead(a); got != -4 {
		t.Errorf("MinorsAhead = %d, want -4", got)
	}
	m := a.MinorVersion()
	if m.Add(1).String() != "v1.31" || m.Add(-31).String() != "v1.0" {
		t.Errorf("Add: %s %s", m.Add(1), m.Add(-31))
	}
	if got := (MinorVersion{2, 0}).Sub(m); got < 100 {
		t.Errorf("a major apart must be a large skew, got %d", got)
	}
}

func TestParseTarget(t *testing.T) {
	tests := []struct {
		in    string
		exact bool
	}{
		{"v1.33", false}, {"1.33", false}, {"v1.33.5", true}, {"v1.33.5+k3s1", true}, {"v1.33.0-rc1+k3s1", true},
	}
	for _, tt := range tests {
		got, err := ParseTarget(tt.in)
		if err != nil || got.Exact != tt.exact {
			t.Errorf("ParseTarget(%q) = %+v, %v; want exact %v", tt.in, got, err, tt.exact)
		}
	}
}

func TestFromImage(t *testing.T) {
	tests := map[string]string{
		"registry.k8s.io/kube-apiserver:v1.29.7":                          "v1.29.7",
		"localhost:5000/kube-proxy:v1.29.7":                               "v1.29.7",
		"rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815":        "v1.30.4+rke2r1",
		"rancher/k3s-upgrade:v1.32.5-k3s1":                                "v1.32.5+k3s1",
		"registry.k8s.io/kube-proxy:v1.29.7@sha256:0123456789abcdef01234": "v1.29.7",
	}
	for in, want := range tests {
		v, err := FromImage(in)
		if err != nil || v.String() != want {
			t.Errorf("FromImage(%q) = %q, %v; want %q", in, v, err, want)
		}
	}
	for _, in := range []string{"registry.k8s.io/kube-apiserver", "localhost:5000/kube-proxy", "kube-proxy:latest"} {
		if _, err := FromImage(in); err == nil {
			t.Errorf("FromImage(%q) should fail", in)
		}
	}
	if got := MustParse("v1.32.5+k3s1").ImageTag(); got != "v1.32.5-k3s1" {
		t.Errorf("ImageTag = %s", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"v1.32.5+k3s1", "v1.28.4-rc1+k3s1", "v1.25.9-eks-0a21954", "v1.21.9-gke.300", "v1.21.5-3+83e2bb7ee39726", "v1.32", "", "garbage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		// A parsed version must round-trip and compare equal to itself.
		again, err := Parse(v.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q does not parse: %v", s, v.String(), err)
		}
		if v.Compare(again) != 0 || v.Compare(v) != 0 {
			t.Fatalf("%q does not compare equal to itself", s)
		}
		_ = v.MinorString()
		_, _ = FromImage("img:" + s)
	})
}
