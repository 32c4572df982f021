package plan_test

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

const (
	rke2Image31 = "index.docker.io/rancher/hardened-kubernetes:v1.31.13-rke2r1-build20250910"
	rke2Image28 = "index.docker.io/rancher/hardened-kubernetes:v1.28.15-rke2r1-build20250910"
)

func rke2ControlPlane(node, image string) []runtime.Object {
	return []runtime.Object{
		clitest.StaticPod("kube-apiserver", node, image), clitest.StaticPod("kube-controller-manager", node, image),
		clitest.StaticPod("kube-scheduler", node, image), clitest.StaticPod("kube-proxy", node, image),
	}
}

var planClusters = map[string]clitest.Cluster{
	"k3s-healthy-ha": clitest.K3sCluster("v1.30.14+k3s1", 3, 5),
	"k3s-skewed": {Objects: clitest.Objects([]clitest.NodeSpec{
		clitest.Server("k3s-server-1", "v1.30.14+k3s1"), clitest.Server("k3s-server-2", "v1.30.14+k3s1"), clitest.Server("k3s-server-3", "v1.30.14+k3s1"),
		clitest.Agent("k3s-agent-1", "v1.30.14+k3s1"), clitest.Agent("k3s-agent-2", "v1.29.15+k3s1"), clitest.Agent("k3s-agent-3", "v1.28.15+k3s1"),
		clitest.Agent("k3s-agent-4", "v1.27.16+k3s1"), clitest.Agent("k3s-agent-5", "v1.26.15+k3s1"),
	})},
	"k3s-half-way": {Objects: clitest.Objects([]clitest.NodeSpec{
		clitest.Server("k3s-server-1", "v1.31.13+k3s1"), clitest.Server("k3s-server-2", "v1.30.14+k3s1"), clitest.Server("k3s-server-3", "v1.30.14+k3s1"),
		clitest.Agent("k3s-agent-1", "v1.30.14+k3s1"), clitest.Agent("k3s-agent-2", "v1.30.14+k3s1"),
	})},
	"k3s-up-to-date": clitest.K3sCluster("v1.33.5+k3s1", 1, 2),
	"rke2-etcd": {Objects: clitest.Objects([]clitest.NodeSpec{
		clitest.EtcdOnly("rke2-etcd-1", "v1.31.13+rke2r1"), clitest.Server("rke2-server-1", "v1.31.13+rke2r1"), clitest.Server("rke2-server-2", "v1.31.13+rke2r1"),
		clitest.Agent("rke2-agent-1", "v1.31.13+rke2r1"), clitest.Agent("rke2-agent-2", "v1.30.14+rke2r2"),
	}, append(append(rke2ControlPlane("rke2-server-1", rke2Image31), rke2ControlPlane("rke2-server-2", rke2Image31)...),
		clitest.StaticPod("kube-proxy", "rke2-agent-1", rke2Image31))...)},
	// A kube-proxy static pod left on an old image: it falls out of skew when the servers move.
	"rke2-stale-kube-proxy": {Objects: clitest.Objects([]clitest.NodeSpec{
		clitest.Server("rke2-server-1", "v1.31.13+rke2r1"), clitest.Agent("rke2-agent-1", "v1.31.13+rke2r1"),
	}, append(rke2ControlPlane("rke2-server-1", rke2Image31), clitest.StaticPod("kube-proxy", "rke2-agent-1", rke2Image28))...)},
	"kubeadm": {Objects: clitest.Objects([]clitest.NodeSpec{clitest.KubeadmCP("cp-1", "v1.29.7")})},
}

func TestPlanGolden(t *testing.T) {
	srv := clitest.StartChannelServer(t)
	cases := []struct {
		name, cluster string
		args          []string
		code          int
	}{
		{"k3s-stable", "k3s-healthy-ha", []string{"plan", "--channel", "stable"}, cmdutil.ExitOK},
		{"k3s-stable-wide", "k3s-healthy-ha", []string{"plan", "-o", "wide"}, cmdutil.ExitOK},
		{"k3s-stable-json", "k3s-healthy-ha", []string{"plan", "-o", "json"}, cmdutil.ExitOK},
		{"k3s-stable-yaml", "k3s-healthy-ha", []string{"plan", "-o", "yaml", "--agents", "final"}, cmdutil.ExitOK},
		{"k3s-agents-final", "k3s-healthy-ha", []string{"plan", "--agents", "final"}, cmdutil.ExitOK},
		{"k3s-skewed", "k3s-skewed", []string{"plan"}, cmdutil.ExitOK},
		{"k3s-half-way", "k3s-half-way", []string{"plan"}, cmdutil.ExitOK},
		{"k3s-up-to-date", "k3s-up-to-date", []string{"plan"}, cmdutil.ExitOK},
		{"k3s-revision", "k3s-healthy-ha", []string{"plan", "--channel", "v1.30"}, cmdutil.ExitOK},
		{"k3s-older-patch", "k3s-healthy-ha", []string{"plan", "--version", "v1.31.4+k3s1", "--channel-server", srv.URL + "/k3s" + channel.Path}, cmdutil.ExitOK},
		{"rke2-etcd", "rke2-etcd", []string{"plan", "--channel", "v1.32"}, cmdutil.ExitOK},
		{"rke2-blocked", "rke2-stale-kube-proxy", []string{"plan", "--version", "v1.32.9+rke2r1"}, cmdutil.ExitFindings},
		{"rke2-blocked-json", "rke2-stale-kube-proxy", []string{"plan", "--version", "v1.32.9+rke2r1", "-o", "json"}, cmdutil.ExitFindings},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, planClusters[tc.cluster], tc.args...)
			if r.Code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", r.Code, tc.code, r.Stderr)
			}
			ext := ".txt"
			switch {
			case strings.HasSuffix(tc.name, "-json"):
				ext = ".json"
				var rep struct {
					Kind    string
					Summary struct{ Blocked bool }
				}
				if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || rep.Kind != "PlanReport" {
					t.Fatalf("not a PlanReport: %v %q", err, rep.Kind)
				}
				if rep.Summary.Blocked != (tc.code == cmdutil.ExitFindings) {
					t.Errorf("summary.blocked = %v with exit %d", rep.Summary.Blocked, r.Code)
				}
			case strings.HasSuffix(tc.name, "-yaml"):
				ext = ".yaml"
			}
			clitest.Golden(t, tc.name+ext, srv.Scrub(r.Stdout))
		})
	}
}

func TestPlanVersionNeedsNoChannelServer(t *testing.T) {
	srv := clitest.StartChannelServer(t)
	r := clitest.Run(t, planClusters["k3s-healthy-ha"], "plan", "--version", "v1.31.13+k3s1")
	if r.Code != cmdutil.ExitOK || srv.Hits.Load() != 0 {
		t.Fatalf("one minor by --version: exit %d, %d channel requests, want 0 and none; %s", r.Code, srv.Hits.Load(), r.Stderr)
	}
	if !strings.Contains(r.Stdout, "target v1.31.13+k3s1 (--version)") {
		t.Errorf("summary should name the target and its source:\n%s", r.Stdout)
	}
	// Across minors the intermediate releases come from the (default) channel server.
	r = clitest.Run(t, planClusters["k3s-healthy-ha"], "plan", "--version", "v1.33.5+k3s1")
	if r.Code != cmdutil.ExitOK || srv.Hits.Load() != 1 || !strings.Contains(r.Stdout, "v1.32.9+k3s1") {
		t.Fatalf("three minors by --version: exit %d, %d requests; %s%s", r.Code, srv.Hits.Load(), r.Stdout, r.Stderr)
	}
	// And when that server is down, the error says both what is missing and why.
	srv.Status.Store(404)
	r = clitest.Run(t, planClusters["k3s-healthy-ha"], "plan", "--version", "v1.33.5+k3s1")
	if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, "crosses v1.31 and v1.32") || !strings.Contains(r.Stderr, "404") {
		t.Errorf("exit %d, stderr %s", r.Code, r.Stderr)
	}
}

func TestPlanFailures(t *testing.T) {
	srv := clitest.StartChannelServer(t)
	cases := []struct {
		name, cluster string
		args          []string
		want          []string
	}{
		{"agents final impossible", "k3s-skewed", []string{"plan", "--agents", "final"},
			[]string{"--agents final is not possible", "k3s-agent-2 (v1.29.15+k3s1) would trail servers on v1.33 by 4 minors, at most 3 allowed", "--agents each"}},
		{"downgrade", "k3s-healthy-ha", []string{"plan", "--version", "v1.29.15+k3s1"},
			[]string{"downgrades are not supported", "k3s-server-1", "snapshot"}},
		{"unknown channel", "k3s-healthy-ha", []string{"plan", "--channel", "v1.99"},
			[]string{`resolve channel "v1.99" from ` + clitest.TestChannelHost + "/k3s/v1-release/channels: no such channel", "stable"}},
		{"channel without release", "k3s-healthy-ha", []string{"plan", "--channel", "testing"}, []string{"no latest version"}},
		{"not listed", "k3s-healthy-ha", []string{"plan", "--version", "v1.31.99+k3s1", "--channel-server", srv.URL + "/k3s" + channel.Path},
			[]string{"no channel lists the target", "v1.31.13+k3s1"}},
		{"another distro", "k3s-healthy-ha", []string{"plan", "--version", "v1.31.13+rke2r1"}, []string{"RKE2 release, the cluster runs K3s"}},
		{"wrong channel server", "k3s-healthy-ha", []string{"plan", "--channel-server", srv.URL + "/rke2" + channel.Path}, []string{"is " + clitest.TestChannelHost + "/rke2/v1-release/channels the K3s channel server?"}},
		{"not a release", "k3s-healthy-ha", []string{"plan", "--version", "v1.31"}, []string{"names a minor", "v1.31.X+k3sN"}},
		{"garbage version", "k3s-healthy-ha", []string{"plan", "--version", "latest"}, []string{"--version", "v1.33.5+k3s1"}},
		{"both targets", "k3s-healthy-ha", []string{"plan", "--version", "v1.31.13+k3s1", "--channel", "stable"}, []string{"channel", "version"}},
		{"bad agents", "k3s-healthy-ha", []string{"plan", "--agents", "some"}, []string{`--agents "some": use each or final`}},
		{"kubeadm", "kubeadm", []string{"plan"}, []string{"K3s and RKE2", "v1.29.7", "kubectl skew check"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := clitest.Run(t, planClusters[tc.cluster], tc.args...)
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

func TestPlanFileAndRancherFlagsBadInput(t *testing.T) {
	sc := planClusters["k3s-healthy-ha"]
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "-f", t.TempDir()}, "holds no .yaml, .yml or .json file"},
		{[]string{"plan", "--rancher-cluster", "fleet-default/x", "-f", "."}, "-f needs the downstream cluster's own kubeconfig"},
		{[]string{"plan", "--rancher-cluster", "fleet-default/x"}, "this is not a Rancher management cluster"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
