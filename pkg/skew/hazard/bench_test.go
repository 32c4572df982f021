package hazard

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// BenchmarkEvaluate5000 is the judging half of the hazards on 5,000 nodes with
// node-args, three hops (v1.32 to v1.35): turning nodes into facts, then every entry
// on every hop. The reading half is the e2e BenchmarkHazards5000.
func BenchmarkEvaluate5000(b *testing.B) {
	nodes := make([]corev1.Node, 5000)
	for i := range nodes {
		nodes[i] = corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("agent-%04d", i), Annotations: map[string]string{"k3s.io/node-args": `["agent","--server","https://k3s.example.internal:6443","--token","********",` +
				`"--kubelet-arg","max-pods=150","--kubelet-arg=eviction-hard=memory.available<200Mi",` +
				`"--kubelet-arg","image-gc-high-threshold=80","--kube-proxy-arg","proxy-mode=iptables",` +
				`"--node-label","tier=agent","--node-taint","dedicated=batch:NoSchedule","--protect-kernel-defaults","true"]`}},
			Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.32.9+k3s1", ContainerRuntimeVersion: "containerd://2.0.5-k3s1"}},
		}
	}
	hops := TargetHops(version.MustParse("v1.32.9+k3s1"), version.Target{Version: version.MustParse("v1.35.0")}, nil)
	all := map[Fact]bool{}
	for _, f := range Needs(hops) {
		all[f] = true
	}
	b.ResetTimer()
	for range b.N {
		f := &Facts{Nodes: NodesFrom(nodes), Read: all}
		if r := Evaluate(hops, f, nil); len(r) != 3 {
			b.Fatalf("%d hops", len(r))
		}
	}
}
