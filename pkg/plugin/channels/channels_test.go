package channels_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/channels"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// noCluster is an empty fake cluster, for commands that should not need one
// (TestChannelsWithoutClusterNeedsNoClient proves they build no client).
var noCluster = clitest.Cluster{}

func TestChannelsGolden(t *testing.T) {
	srv := clitest.StartChannelServer(t)
	cases := []struct {
		name string
		fc   clitest.Cluster
		args []string
	}{
		{"k3s-cluster", clitest.K3sCluster("v1.30.14+k3s1", 3, 5), []string{"channels"}},
		{"k3s-cluster-json", clitest.K3sCluster("v1.30.14+k3s1", 3, 5), []string{"channels", "-o", "json"}},
		{"rke2-no-cluster", noCluster, []string{"channels", "--distro", "rke2"}},
		{"rke2-no-cluster-yaml", noCluster, []string{"channels", "--distro", "RKE2", "-o", "yaml"}},
		{"mid-upgrade", clitest.Cluster{Objects: clitest.Objects([]clitest.NodeSpec{clitest.Server("s1", "v1.31.13+k3s1"), clitest.Server("s2", "v1.30.14+k3s1")})}, []string{"channels"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, tc.fc, tc.args...)
			if r.Code != cmdutil.ExitOK {
				t.Fatalf("exit %d: %s", r.Code, r.Stderr)
			}
			ext := ".txt"
			if strings.HasSuffix(tc.name, "json") {
				ext = ".json"
				var obj map[string]any
				if err := json.Unmarshal([]byte(r.Stdout), &obj); err != nil || obj["kind"] != "ChannelsReport" {
					t.Errorf("not a ChannelsReport: %v %v", err, obj["kind"])
				}
			} else if strings.HasSuffix(tc.name, "yaml") {
				ext = ".yaml"
			}
			clitest.Golden(t, tc.name+ext, srv.Scrub(r.Stdout))
		})
	}
}

func TestChannelsFailures(t *testing.T) {
	srv := clitest.StartChannelServer(t)
	kubeadm := clitest.Cluster{Objects: clitest.Objects([]clitest.NodeSpec{clitest.KubeadmCP("cp-1", "v1.29.7")})}
	cases := []struct {
		name   string
		fc     clitest.Cluster
		args   []string
		status int32
		want   []string
	}{
		{"server error", clitest.K3sCluster("v1.30.14+k3s1", 1, 0), []string{"channels", "--channel-timeout", "1s"}, 500,
			[]string{"list channels from " + clitest.TestChannelHost + "/k3s/v1-release/channels", "500 Internal Server Error, 2 attempts"}},
		{"not found", noCluster, []string{"channels", "--distro", "k3s", "--channel-server", srv.URL + "/nowhere"}, 0,
			[]string{"404", "served at /v1-release/channels"}},
		{"plain HTTP elsewhere", noCluster, []string{"channels", "--distro", "k3s", "--channel-server", "http://mirror.example"}, 0,
			[]string{"plain-HTTP", "HTTPS"}},
		{"kubeadm cluster", kubeadm, []string{"channels"}, 0, []string{"not K3s or RKE2", "v1.29.7", "--distro"}},
		{"bad distro", noCluster, []string{"channels", "--distro", "eks"}, 0, []string{`--distro "eks": use k3s or rke2`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.Status.Store(tc.status)
			defer srv.Status.Store(0)
			r := clitest.Run(t, tc.fc, tc.args...)
			stderr := srv.Scrub(r.Stderr)
			if r.Code != cmdutil.ExitError || r.Stdout != "" || strings.Count(stderr, "\n") != 1 {
				t.Fatalf("want exit 1, nothing on stdout, one line on stderr; got %d, %q, %q", r.Code, r.Stdout, stderr)
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
	clitest.StartChannelServer(t)
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
