package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// checkCases are `kubectl skew check` runs with golden output. The exit code is the
// contract (0 clean, 3 findings at or above --fail-on), so each case states it.
var checkCases = []struct {
	name     string
	scenario string
	args     []string
	code     int
}{
	{"k3s-healthy-ha", "k3s-healthy-ha", nil, 0},
	{"k3s-healthy-ha-target-v1.33", "k3s-healthy-ha", []string{"--target", "v1.33"}, 3},
	{"k3s-skewed", "k3s-skewed", nil, 3},
	{"k3s-skewed-wide", "k3s-skewed", []string{"-o", "wide"}, 3},
	{"rke2-etcd", "rke2-etcd", nil, 0},
	// kubectl v1.37 is outside the minors a v1.31 apiserver supports: a warning.
	{"rke2-etcd-fail-on-warning", "rke2-etcd", []string{"--fail-on", "warning"}, 3},
	{"kubeadm", "kubeadm", nil, 0},
	{"kubeadm-fail-on-warning", "kubeadm", []string{"--fail-on", "warning"}, 3},
	{"rancher-k3s", "rancher-k3s", nil, 0},
	{"rke2-mixed", "rke2-mixed", nil, 0},
	{"k3s-traefik-v2", "k3s-traefik-v2", nil, 0},
	{"k3s-hazards-target-v1.35", "k3s-hazards", []string{"--target", "v1.35"}, 3},
}

// TestCheckGolden runs `kubectl skew check` on every scenario, as a table and as
// JSON, and compares with testdata/golden (rewrite them with -update).
func TestCheckGolden(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
			seed(t, tc.scenario)
			r := skew(t, append([]string{"check"}, tc.args...)...)
			golden(t, tc.name+".txt", normalize(r.stdout)+"--- stderr\n"+normalize(r.stderr))
			if r.code != tc.code {
				t.Errorf("exit code %d, want %d\n%s", r.code, tc.code, r)
			}

			if slices.Contains(tc.args, "-o") {
				return // the JSON run would take the case's own -o
			}
			j := skew(t, append([]string{"check", "-o", "json"}, tc.args...)...)
			if j.code != tc.code {
				t.Errorf("-o json: exit code %d, want %d\n%s", j.code, tc.code, j)
			}
			var obj struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := json.Unmarshal([]byte(j.stdout), &obj); err != nil || obj.APIVersion == "" || obj.Kind == "" {
				t.Errorf("-o json is not one typed object (apiVersion %q, kind %q, err %v)", obj.APIVersion, obj.Kind, err)
			}
			golden(t, tc.name+".json", normalize(j.stdout))
		})
	}
}

// TestCheckEveryScenarioIsCovered keeps the golden table in step with the scenarios.
func TestCheckEveryScenarioIsCovered(t *testing.T) {
	covered := map[string]bool{"k3s-5000": true} // TestCheck5000Nodes
	for _, tc := range checkCases {
		covered[tc.scenario] = true
	}
	entries, err := os.ReadDir(filepath.Join(env.root, "test", "scenarios"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !covered[name] {
			t.Errorf("scenario %s has no check case", name)
		}
	}
}

// TestCheck5000Nodes: the big scenario reads completely (pagination) and its summary
// adds up; the output is too big for a golden file.
func TestCheck5000Nodes(t *testing.T) {
	seed(t, "k3s-5000")
	r := skew(t, "check", "-o", "json")
	if r.code != 0 && r.code != 3 {
		t.Fatalf("check on 5,000 nodes:\n%s", r.stderr)
	}
	var rep struct {
		Summary struct{ Nodes, Servers, Agents int }
		Cluster struct{ Nodes []json.RawMessage }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Nodes != 5000 || rep.Summary.Servers != 3 || rep.Summary.Agents != 4997 || len(rep.Cluster.Nodes) != 5000 {
		t.Errorf("summary %+v with %d nodes listed, want 5000 = 3 servers + 4997 agents", rep.Summary, len(rep.Cluster.Nodes))
	}
	t.Logf("check -o json on 5,000 nodes took %v", r.took)
}

var (
	portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	// Times vary per run; the scenarios stamp none that check prints, but be safe.
	timeRE = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)
	// The sandbox's own kube-apiserver version is the matrix's variable (make
	// test-k8s-v1.28); the goldens hold for every control plane it runs.
	serverVersionRE = regexp.MustCompile(`"serverVersion": "[^"]*"`)
	// When the apiserver started, as findings from its /metrics say.
	minuteRE = regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d UTC`)
)

// normalize removes what differs between runs: ports, temp paths, timestamps.
func normalize(s string) string {
	s = strings.ReplaceAll(s, env.bin, "$PLUGIN_DIR")
	s = strings.ReplaceAll(s, filepath.Dir(env.sb.Tools.Kubectl), "$TOOLS_DIR")
	s = strings.ReplaceAll(s, env.sb.Dir, "$SANDBOX_DIR")
	s = strings.ReplaceAll(s, env.home, "$HOME")
	s = portRE.ReplaceAllString(s, "127.0.0.1:PORT")
	s = serverVersionRE.ReplaceAllString(s, `"serverVersion": "$$SANDBOX_APISERVER"`)
	s = minuteRE.ReplaceAllString(s, "TIME")
	return timeRE.ReplaceAllString(s, "TIME")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	// Against another control plane, a golden of its own (testdata/golden/v1.28/...)
	// holds what that apiserver answers differently, and only that: its /metrics
	// marks fewer APIs deprecated, so the removed-API scan finds less.
	variant := ""
	if cp := os.Getenv(sandbox.ControlPlaneEnv); cp != "" {
		variant = filepath.Join("testdata", "golden", cp, name)
	}
	if *update {
		if variant == "" {
			writeFile(t, path, []byte(got))
			return
		}
		if main, err := os.ReadFile(path); err == nil && string(main) == got {
			_ = os.Remove(variant)
			return
		}
		if err := os.MkdirAll(filepath.Dir(variant), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, variant, []byte(got))
		return
	}
	if variant != "" {
		if _, err := os.Stat(variant); err == nil {
			path = variant
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./test/e2e -run %s -update` to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (rewrite with -update if intended)\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}
