package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
)

// ours lists what kubectl-skew keeps in the cluster, to show a command wrote nothing.
func ours(t *testing.T) string {
	t.Helper()
	r := skewKubectl(t, "get", "plans,configmaps,leases", "-A", "-l", "app.kubernetes.io/managed-by=kubectl-skew", "-o", "jsonpath={range .items[*]}{.metadata.name}@{.metadata.resourceVersion} {end}")
	return r.stdout
}

func skewKubectl(t *testing.T, args ...string) result {
	t.Helper()
	return kubectl(t, "", args...)
}

// TestHostileReleaseData: release data that is huge, contradictory, or served by a
// URL that is huge or an HTML page stops check --target and releases with one line naming
// the source and the problem, exit 1, within the client's bounds, and writes nothing.
func TestHostileReleaseData(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.json")
	if err := os.WriteFile(huge, append([]byte(`{"releases":[`), make([]byte, release.MaxBytes)...), 0o644); err != nil {
		t.Fatal(err)
	}
	row := func(etcd string) string {
		return `{"version":"v1.33.7+k3s3","components":{"etcd":"` + etcd + `"},"source":{"url":"https://releases.test/a"}}`
	}
	contradictory := releaseData(t, row("v3.5.26-k3s1"), row("v3.6.7-k3s1"))

	hugeBody := make([]byte, release.MaxBytes+1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/huge":
			_, _ = w.Write(hugeBody)
		case "/html":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>captive portal</body></html>"))
		}
	}))
	defer srv.Close()

	before := ours(t)
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"huge file", huge, []string{huge, "larger than the limit"}},
		{"contradictory rows", contradictory, []string{"v1.33.7+k3s3 is listed twice", "etcd v3.5.26-k3s1, this row v3.6.7-k3s1"}},
		{"huge URL", srv.URL + "/huge", []string{srv.URL + "/huge", "larger than the limit"}},
		{"HTML URL", srv.URL + "/html", []string{srv.URL + "/html", "not JSON at byte 1"}},
	} {
		// check reads release data for a target's hazards.
		for _, cmd := range [][]string{{"check", "--target", "v1.33.12+k3s1"}, {"releases"}} {
			r := skew(t, append(cmd, "--release-data", tc.data)...)
			if r.code != 1 || len(lines(r.stderr)) != 1 || r.took > 20*time.Second {
				t.Errorf("%s, %s: want one line and exit 1, quickly: %s", tc.name, cmd[0], r)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%s, %s: the line does not say %q: %s", tc.name, cmd[0], w, r.stderr)
				}
			}
		}
	}
	if after := ours(t); after != before {
		t.Errorf("a refused command wrote to the cluster:\nbefore %s\nafter  %s", before, after)
	}
}

// TestHostileReleaseDataSlowURL: a server that accepts the connection and never
// answers costs at most the client's whole timeout (30 s), then one line.
func TestHostileReleaseDataSlowURL(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the client's timeout")
	}
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stop:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(stop)
	r := skew(t, "releases", "--release-data", srv.URL+"/slow")
	if r.code != 1 || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, srv.URL) || !strings.Contains(r.stderr, "timeout") || r.took > 40*time.Second {
		t.Errorf("want one line naming the URL and the timeout, exit 1, within 40s: %s", r)
	}
}
