// Package testworld builds the small clusters and channel lists that the domain
// packages' tests share. It is for tests only: nothing outside _test files uses it.
package testworld

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Nodes builds nodes from specs "role name version [os/arch]": "server s1 v1.30.14+k3s1",
// "etcd e1 ...", "agent w1 v1.30.4 windows/amd64". Every node is Ready and carries its
// hostname label; the platform is linux/amd64 unless given.
func Nodes(t testing.TB, specs ...string) []corev1.Node {
	t.Helper()
	nodes := make([]corev1.Node, 0, len(specs))
	for _, s := range specs {
		f := strings.Fields(s)
		if len(f) != 3 && len(f) != 4 {
			t.Fatalf("bad node spec %q", s)
		}
		osName, arch := "linux", "amd64"
		if len(f) == 4 {
			osName, arch, _ = strings.Cut(f[3], "/")
		}
		n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: f[1], Labels: map[string]string{cluster.LabelHostname: f[1]}}}
		switch f[0] {
		case "server":
			n.Labels[cluster.LabelControlPlane] = "true"
			n.Labels[cluster.LabelEtcd] = "true"
		case "etcd":
			n.Labels[cluster.LabelEtcd] = "true"
		case "agent":
		default:
			t.Fatalf("bad role in %q", s)
		}
		n.Status.NodeInfo.KubeletVersion = f[2]
		n.Status.NodeInfo.OperatingSystem, n.Status.NodeInfo.Architecture = osName, arch
		n.Labels["kubernetes.io/os"], n.Labels["kubernetes.io/arch"] = osName, arch
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		nodes = append(nodes, n)
	}
	return nodes
}

// Inventory is the inventory of Nodes(specs...).
func Inventory(t testing.TB, specs ...string) *cluster.Inventory {
	t.Helper()
	return cluster.Build(cluster.Objects{Nodes: Nodes(t, specs...)})
}

// Uniform is count nodes of one role named prefix-1..count on one version.
func Uniform(role, prefix string, count int, v string) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%s %s-%d %s", role, prefix, i+1, v)
	}
	return out
}

// Join concatenates groups of node specs.
func Join(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Channels is the channel package's fixture for distro ("k3s" or "rke2"): stable
// v1.33.5, v1.30 at revision 2.
func Channels(t testing.TB, distro string) *channel.List {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(moduleRoot(t), "pkg", "skew", "channel", "testdata", distro+".json"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := channel.Decode("https://update."+distro+".io/v1-release/channels", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Target parses a target version or fails the test.
func Target(t testing.TB, s string) *version.Target {
	t.Helper()
	v, err := version.ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// moduleRoot is the directory of go.mod above the test's package directory (go test
// runs each test there); the source's own path is no guide, as -trimpath drops it.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
