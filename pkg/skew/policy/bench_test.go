package policy

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// BenchmarkInventoryAndPolicy5000 measures what check does between the API reads and
// the printing: build the inventory of a 5,000-node cluster and evaluate every rule.
func BenchmarkInventoryAndPolicy5000(b *testing.B) {
	nodes := make([]corev1.Node, 0, 5000)
	for i := 0; i < 3; i++ {
		nodes = append(nodes, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("server-%d", i), Labels: map[string]string{cluster.LabelControlPlane: "true"}},
			Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.30.4+k3s1"}},
		})
	}
	versions := []string{"v1.30.4+k3s1", "v1.29.9+k3s1", "v1.28.13+k3s1", "v1.27.16+k3s1", "v1.26.15+k3s1"}
	for i := 3; i < 5000; i++ {
		nodes = append(nodes, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("agent-%04d", i)},
			Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: versions[i%len(versions)]}},
		})
	}
	b.ReportAllocs()
	for b.Loop() {
		inv := cluster.Build(cluster.Objects{Nodes: nodes, ServerVersion: "v1.30.4+k3s1"})
		if len(Evaluate(inv, Options{})) == 0 {
			b.Fatal("expected findings")
		}
	}
}
