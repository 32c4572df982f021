package clitest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestChannelHost replaces the random test-server address in golden files.
const TestChannelHost = "http://channels.test"

// ChannelServer serves the channel package's fixtures (pkg/skew/channel/testdata) at
// /k3s and /rke2 on 127.0.0.1, and stands in for the upstream servers for the length
// of a test.
type ChannelServer struct {
	*httptest.Server
	Hits   atomic.Int32
	Status atomic.Int32 // when set, every answer is this status
}

// ChannelFixture is the channel list fixture of distro ("k3s" or "rke2").
func ChannelFixture(t testing.TB, distro string) []byte {
	t.Helper()
	root, err := ModuleRoot()
	if err != nil {
		t.Fatalf("find the module root: %v", err)
	}
	body, err := os.ReadFile(filepath.Join(root, "pkg", "skew", "channel", "testdata", distro+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// StartChannelServer starts the server and points cmdutil.DefaultChannelURL at it
// for K3s and RKE2 until the test ends.
func StartChannelServer(t testing.TB) *ChannelServer {
	t.Helper()
	fixtures := map[string][]byte{"k3s": ChannelFixture(t, "k3s"), "rke2": ChannelFixture(t, "rke2")}
	s := &ChannelServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Hits.Add(1)
		if code := s.Status.Load(); code != 0 {
			http.Error(w, "injected failure", int(code))
			return
		}
		distro, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		body, ok := fixtures[distro]
		if "/"+rest != channel.Path || !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	saved := cmdutil.DefaultChannelURL
	cmdutil.DefaultChannelURL = func(d version.Distro) (string, error) {
		if d != version.K3s && d != version.RKE2 {
			return saved(d)
		}
		return s.URL + "/" + string(d) + channel.Path, nil
	}
	t.Cleanup(func() { cmdutil.DefaultChannelURL = saved })
	return s
}

// Scrub makes output independent of the test server's port.
func (s *ChannelServer) Scrub(out string) string {
	return strings.ReplaceAll(out, s.URL, TestChannelHost)
}
