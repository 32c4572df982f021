package upgrade

import (
	"fmt"
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// node is "role name version": "server s1 v1.30.14+k3s1", "etcd e1 ...", "agent a1 ...".
func inventory(t testing.TB, specs ...string) *cluster.Inventory {
	t.Helper()
	var nodes []corev1.Node
	for _, s := range specs {
		f := strings.Fields(s)
		if len(f) != 3 {
			t.Fatalf("bad node spec %q", s)
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
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		nodes = append(nodes, n)
	}
	return cluster.Build(cluster.Objects{Nodes: nodes})
}

// uniform is count nodes of one role named prefix-1..count on one version.
func uniform(role, prefix string, count int, v string) []string {
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("%s %s-%d %s", role, prefix, i+1, v)
	}
	return out
}

func nodesOf(groups ...[]string) []string {
	var out []string
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// channelsFixture is the channel package's fixture: stable v1.33.5, v1.30 at revision 2.
func channelsFixture(t testing.TB, distro string) *channel.List {
	t.Helper()
	body, err := os.ReadFile("../channel/testdata/" + distro + ".json")
	if err != nil {
		t.Fatal(err)
	}
	l, err := channel.Decode("https://update."+distro+".io/v1-release/channels", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func target(t testing.TB, s string) *version.Target {
	t.Helper()
	v, err := version.ParseTarget(s)
	if err != nil {
		t.Fatal(err)
	}
	return &v
}

// hopLine renders a hop compactly for table tests: "minor v1.30.14+k3s1>v1.31.13+k3s1 s=3 a=5".
func hopLine(h Hop) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s>%s s=%d a=%d", h.Kind, h.From, h.To, len(h.Servers), len(h.Agents))
	if h.Blocked() {
		b.WriteString(" BLOCKED")
	}
	return b.String()
}

func hopLines(p *Path) []string {
	out := make([]string, len(p.Hops))
	for i, h := range p.Hops {
		out[i] = hopLine(h)
	}
	return out
}
