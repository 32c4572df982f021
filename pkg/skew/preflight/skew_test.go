package preflight

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// rke2Pods are a server's static control-plane and kube-proxy pods on its version.
func rke2Pods(node, v string) []corev1.Pod {
	var out []corev1.Pod
	for _, c := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		out = append(out, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: c + "-" + node, Namespace: metav1.NamespaceSystem, Labels: map[string]string{"component": c, "tier": "control-plane"}},
			Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: c, Image: "index.docker.io/rancher/hardened-kubernetes:" + strings.ReplaceAll(v, "+", "-") + "-build20250910"}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning},
		})
	}
	return out
}

// TestSkewOfAHopResumedHalfWay: RKE2 with s-1 already on the hop's version and s-2
// not yet: s-1's controller-manager, scheduler and kube-proxy are newer than s-2's
// kube-apiserver, as in the middle of every hop. The re-run that finishes the hop
// fixes it: a pass, not a refusal. The same skew judged without that path (no hop
// to finish) is still refused.
func TestSkewOfAHopResumedHalfWay(t *testing.T) {
	const from, to = "v1.31.13+rke2r1", "v1.32.9+rke2r1"
	nodes := testworld.Nodes(t, "server s-1 "+to, "server s-2 "+from, "agent a-1 "+from)
	pods := append(rke2Pods("s-1", to), rke2Pods("s-2", from)...)
	inv := cluster.Build(cluster.Objects{Nodes: nodes, Pods: pods})
	target, err := version.ParseTarget("v1.33.5+rke2r1")
	if err != nil {
		t.Fatal(err)
	}
	path, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Version: &target, Channels: testworld.Channels(t, "rke2")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		path *upgradepath.Path
		want string
	}{
		{"resumed hop", path, "pass"},
		{"no path", nil, "fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			v := verdicts{}
			checkSkew(v, &Facts{Inventory: inv, Path: path}, Options{})
			if got := v[CheckSkew]; string(got.Result) != tc.want {
				t.Errorf("skew check %s: %s (%s)", got.Result, got.Message, got.Fix)
			}
		})
	}
}
