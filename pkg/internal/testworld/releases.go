package testworld

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Releases builds release data from specs "version component=version ...":
// "v1.33.7+k3s1 etcd=v3.5.25-k3s1 traefik=v3.5.1". Tests pin the releases they reason
// about instead of depending on the embedded table.
func Releases(t testing.TB, specs ...string) *release.Index {
	t.Helper()
	var rs []*release.Release
	for _, s := range specs {
		f := strings.Fields(s)
		if len(f) < 2 {
			t.Fatalf("bad release spec %q: want a version and components", s)
		}
		v, err := version.Parse(f[0])
		if err != nil {
			t.Fatalf("release spec %q: %v", s, err)
		}
		r := &release.Release{Version: v, Components: map[string]string{},
			Source: release.Source{URL: "https://releases.test/" + f[0]}}
		for _, kv := range f[1:] {
			k, val, ok := strings.Cut(kv, "=")
			if !ok {
				t.Fatalf("release spec %q: %q is not component=version", s, kv)
			}
			r.Components[k] = val
		}
		rs = append(rs, r)
	}
	return release.NewIndex(rs, "test data")
}
