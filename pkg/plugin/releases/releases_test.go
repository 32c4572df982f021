package releases_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// releaseFixture is made-up release data (two minors of each distribution), so the
// golden files do not change each time the embedded table is regenerated. It sits in
// testdata/releases/ because the golden files print its path.
const releaseFixture = "testdata/releases/data.json"

// runReleases runs "kubectl skew releases" with args; it fails the test if the command
// builds Kubernetes clients, which it never needs.
func runReleases(t *testing.T, args ...string) clitest.Result {
	t.Helper()
	return clitest.RunEnv(t, func(env *cmdutil.Env) {
		env.Clients = func() (*cmdutil.Clients, error) {
			t.Error("releases built Kubernetes clients")
			return clitest.Cluster{}.Clients("https://fake:6443"), nil
		}
	}, append([]string{"releases"}, args...)...)
}

func TestReleasesGolden(t *testing.T) {
	t.Setenv(release.EnvVar, "")
	data := []string{"--release-data", releaseFixture}
	cases := []struct {
		name string
		args []string
	}{
		{"default.txt", nil},
		{"k3s-v1.33.txt", []string{"--distro", "k3s", "--minor", "v1.33"}},
		{"wide.txt", []string{"-o", "wide"}},
		{"json.json", []string{"-o", "json"}},
		{"yaml.yaml", []string{"--distro", "RKE2", "--minor", "1.33", "-o", "yaml"}},
		{"release-known.txt", []string{"--release", "v1.33.7+k3s3"}},
		{"no-match.txt", []string{"--distro", "rke2", "--minor", "v1.40"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runReleases(t, append(tc.args, data...)...)
			if r.Code != cmdutil.ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			if strings.HasSuffix(tc.name, ".json") {
				var obj struct {
					Kind   string           `json:"kind"`
					Origin string           `json:"origin"`
					Items  []map[string]any `json:"items"`
				}
				if err := json.Unmarshal([]byte(r.Stdout), &obj); err != nil || obj.Kind != "ReleaseList" || obj.Origin != releaseFixture || len(obj.Items) != 7 {
					t.Errorf("not a ReleaseList of the fixture's 7 releases: %v %q %q %d", err, obj.Kind, obj.Origin, len(obj.Items))
				}
			}
			clitest.Golden(t, tc.name, r.Stdout)
		})
	}
}

func TestReleasesNoMatchIsOneLine(t *testing.T) {
	r := runReleases(t, "--minor", "v1.40", "--release-data", releaseFixture)
	if r.Code != cmdutil.ExitOK || strings.Count(r.Stdout, "\n") != 1 || !strings.HasPrefix(r.Stdout, "No K3s and RKE2 v1.40 releases") ||
		!strings.Contains(r.Stdout, "--release-data") {
		t.Errorf("want exit 0 and one line that says so and where newer data comes from; got %d %q %q", r.Code, r.Stdout, r.Stderr)
	}
}

func TestReleasesFailures(t *testing.T) {
	t.Setenv(release.EnvVar, "")
	dir := t.TempDir()
	malformed := filepath.Join(dir, "truncated.json")
	if err := os.WriteFile(malformed, []byte(`{"apiVersion": "releases.kubectl-skew.io/v1", "kind": "ReleaseData", "releases": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	data := []string{"--release-data", releaseFixture}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown release", append([]string{"--release", "v1.33.8+k3s1"}, data...),
			[]string{"v1.33.8+k3s1 is newer than the release data (" + releaseFixture + ", newest v1.33.7+k3s3)", "--release-data FILE|URL", "$" + release.EnvVar}},
		{"release older than the data", append([]string{"--release", "v1.31.1+rke2r1"}, data...),
			[]string{"v1.31.1+rke2r1 is older than the release data", "for other release data", "--release-data"}},
		{"release in a gap", append([]string{"--release", "v1.33.6+rke2r1"}, data...),
			[]string{"v1.33.6+rke2r1 is not in the release data", "--release-data"}},
		{"release not K3s or RKE2", append([]string{"--release", "v1.33.7"}, data...),
			[]string{`--release "v1.33.7" is not a K3s or RKE2 release`, "v1.33.7+k3s3"}},
		{"release against distro", append([]string{"--release", "v1.33.7+k3s3", "--distro", "rke2"}, data...),
			[]string{"--release v1.33.7+k3s3 is a K3s release and --distro asks for RKE2"}},
		{"release against minor", append([]string{"--release", "v1.33.7+k3s3", "--minor", "v1.32"}, data...),
			[]string{"--release v1.33.7+k3s3 is of v1.33 and --minor asks for v1.32"}},
		{"bad distro", append([]string{"--distro", "eks"}, data...), []string{`--distro "eks": use k3s or rke2`}},
		{"bad minor", append([]string{"--minor", "1.x"}, data...), []string{`--minor "1.x"`, "such as v1.33"}},
		{"bad output", append([]string{"-o", "csv"}, data...), []string{`unknown output format "csv"`}},
		{"missing file", []string{"--release-data", "testdata/releases/missing.json"},
			[]string{"release data testdata/releases/missing.json: no such file"}},
		{"malformed file", []string{"--release-data", malformed},
			[]string{"release data " + malformed, "bad release data: truncated JSON", "drop --release-data"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runReleases(t, tc.args...)
			if r.Code != cmdutil.ExitError || r.Stdout != "" || strings.Count(r.Stderr, "\n") != 1 {
				t.Fatalf("want exit 1, nothing on stdout, one line on stderr; got %d, %q, %q", r.Code, r.Stdout, r.Stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.Stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.Stderr, w)
				}
			}
		})
	}
}

// TestReleasesEmbedded runs on the table built in, which changes as releases come out:
// only the exit code and the summary line are checked.
func TestReleasesEmbedded(t *testing.T) {
	t.Setenv(release.EnvVar, "")
	r := runReleases(t)
	first, _, _ := strings.Cut(r.Stdout, "\n")
	if r.Code != cmdutil.ExitOK || !strings.HasPrefix(first, "K3s and RKE2 releases known to the release data (embedded): ") {
		t.Errorf("exit %d, summary %q, stderr %q", r.Code, first, r.Stderr)
	}
}

// TestReleasesDataFromEnvAndURL reads the fixture through $KUBECTL_SKEW_RELEASE_DATA
// and from a URL, as --release-data does.
func TestReleasesDataFromEnvAndURL(t *testing.T) {
	t.Setenv(release.EnvVar, releaseFixture)
	r := runReleases(t, "--distro", "k3s")
	if r.Code != cmdutil.ExitOK || !strings.HasPrefix(r.Stdout, "K3s releases known to the release data ("+releaseFixture+"): 4 releases") {
		t.Errorf("$%s: exit %d, %q %q", release.EnvVar, r.Code, r.Stdout, r.Stderr)
	}
	body, err := os.ReadFile(releaseFixture)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	r = runReleases(t, "--release", "v1.33.7+rke2r2", "--release-data", srv.URL+"/releases.json")
	if r.Code != cmdutil.ExitOK || !strings.HasPrefix(r.Stdout, "RKE2 release v1.33.7+rke2r2 known to the release data ("+srv.URL+"/releases.json): released 2025-12-04") {
		t.Errorf("URL: exit %d, %q %q", r.Code, r.Stdout, r.Stderr)
	}
}
