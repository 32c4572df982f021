package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestPluginDiscovery: kubectl finds the freshly built kubectl-skew on PATH.
func TestPluginDiscovery(t *testing.T) {
	r := kubectl(t, "", "plugin", "list")
	if !strings.Contains(r.stdout, filepath.Join(env.bin, "kubectl-skew")) {
		t.Fatalf("kubectl plugin list does not show the plugin under test:\n%s", r)
	}
}

// TestVersionShowsTheAPIServer: the smoke test of the whole chain (kubectl, plugin
// discovery, kubeconfig, TLS, token auth, the real apiserver).
func TestVersionShowsTheAPIServer(t *testing.T) {
	r := skew(t, "version", "--client=false")
	if r.code != 0 {
		t.Fatalf("kubectl skew version --client=false:\n%s", r)
	}
	info, err := env.sb.Client.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"v0.0.0-e2e", info.GitVersion} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r)
		}
	}
}
