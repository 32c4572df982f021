package plugin

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/channels"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// testChannelHost replaces the random test-server address in golden files.
const testChannelHost = "http://channels.test"

// channelServer serves the channel package's fixtures at /k3s and /rke2 on 127.0.0.1
// and stands in for the upstream servers for the length of a test.
type channelServer struct {
	*httptest.Server
	hits   atomic.Int32
	status atomic.Int32 // when set, every answer is this status
}

func startChannelServer(t *testing.T) *channelServer {
	t.Helper()
	s := &channelServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if code := s.status.Load(); code != 0 {
			http.Error(w, "injected failure", int(code))
			return
		}
		distro, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if "/"+rest != channel.Path || (distro != "k3s" && distro != "rke2") {
			http.NotFound(w, r)
			return
		}
		body, err := os.ReadFile("../skew/channel/testdata/" + distro + ".json")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
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

// scrub makes output independent of the test server's port.
func (s *channelServer) scrub(out string) string {
	return strings.ReplaceAll(out, s.URL, testChannelHost)
}

func k3sCluster(kubelet string, servers, agents int) fakeCluster {
	var nodes []nodeSpec
	for i := 1; i <= servers; i++ {
		nodes = append(nodes, server("k3s-server-"+strconv.Itoa(i), kubelet))
	}
	for i := 1; i <= agents; i++ {
		nodes = append(nodes, agent("k3s-agent-"+strconv.Itoa(i), kubelet))
	}
	return fakeCluster{objects: objects(nodes), serverVersion: "v1.32.2"}
}

// noCluster is an empty fake cluster, for commands that should not need one
// (TestChannelsWithoutClusterNeedsNoClient proves they build no client).
var noCluster = fakeCluster{}

func TestChannelsGolden(t *testing.T) {
	srv := startChannelServer(t)
	cases := []struct {
		name string
		fc   fakeCluster
		args []string
	}{
		{"k3s-cluster", k3sCluster("v1.30.14+k3s1", 3, 5), []string{"channels"}},
		{"k3s-cluster-json", k3sCluster("v1.30.14+k3s1", 3, 5), []string{"channels", "-o", "json"}},
		{"rke2-no-cluster", noCluster, []string{"channels", "--distro", "rke2"}},
		{"rke2-no-cluster-yaml", noCluster, []string{"channels", "--distro", "RKE2", "-o", "yaml"}},
		{"mid-upgrade", fakeCluster{objects: objects([]nodeSpec{server("s1", "v1.31.13+k3s1"), server("s2", "v1.30.14+k3s1")})}, []string{"channels"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.fc, tc.args...)
			if r.code != cmdutil.ExitOK {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			ext := ".txt"
			if strings.HasSuffix(tc.name, "json") {
				ext = ".json"
				var obj map[string]any
				if err := json.Unmarshal([]byte(r.stdout), &obj); err != nil || obj["kind"] != "ChannelsReport" {
					t.Errorf("not a ChannelsReport: %v %v", err, obj["kind"])
				}
			} else if strings.HasSuffix(tc.name, "yaml") {
				ext = ".yaml"
			}
			golden(t, "channels/"+tc.name+ext, srv.scrub(r.stdout))
		})
	}
}

func TestChannelsFailures(t *testing.T) {
	srv := startChannelServer(t)
	kubeadm := fakeCluster{objects: objects([]nodeSpec{kubeadmCP("cp-1", "v1.29.7")})}
	cases := []struct {
		name   string
		fc     fakeCluster
		args   []string
		status int32
		want   []string
	}{
		{"server error", k3sCluster("v1.30.14+k3s1", 1, 0), []string{"channels", "--channel-timeout", "1s"}, 500,
			[]string{"list channels from " + testChannelHost + "/k3s/v1-release/channels", "500 Internal Server Error, 2 attempts"}},
		{"not found", noCluster, []string{"channels", "--distro", "k3s", "--channel-server", srv.URL + "/nowhere"}, 0,
			[]string{"404", "served at /v1-release/channels"}},
		{"plain HTTP elsewhere", noCluster, []string{"channels", "--distro", "k3s", "--channel-server", "http://mirror.example"}, 0,
			[]string{"plain-HTTP", "HTTPS"}},
		{"kubeadm cluster", kubeadm, []string{"channels"}, 0, []string{"not K3s or RKE2", "v1.29.7", "--distro"}},
		{"bad distro", noCluster, []string{"channels", "--distro", "eks"}, 0, []string{`--distro "eks": use k3s or rke2`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.status.Store(tc.status)
			defer srv.status.Store(0)
			r := run(t, tc.fc, tc.args...)
			stderr := srv.scrub(r.stderr)
			if r.code != cmdutil.ExitError || r.stdout != "" || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("want exit 1, nothing on stdout, one line on stderr; got %d, %q, %q", r.code, r.stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
		})
	}
}

func TestChannelsWithoutClusterNeedsNoClient(t *testing.T) {
	startChannelServer(t)
	var out, errOut strings.Builder
	env := &cmdutil.Env{Flags: nil, Getenv: func(string) string { return "" }}
	env.Streams.Out, env.Streams.ErrOut = &out, &errOut
	env.Clients = func() (*cmdutil.Clients, error) { return nil, errors.New("must not be called") }
	opts := &channels.ChannelsOptions{Env: env, Out: cmdutil.NewOutputFlags(false), Distro: "k3s"}
	if err := opts.Complete(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := opts.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "v1.33.5+k3s1") {
		t.Errorf("output: %s", out.String())
	}
}
