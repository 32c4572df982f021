package viacommand

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
)

// TestUncordonLeftovers: a run that reached the target uncordons what an earlier,
// killed run of ours cordoned and never uncordoned (a command the kill stopped is
// recorded failed; the node is on the target now); the operator's cordon stays.
func TestUncordonLeftovers(t *testing.T) {
	var objs []corev1.Node
	for _, n := range []string{"killed-mid-node", "operators", "failed"} {
		objs = append(objs, corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}, Spec: corev1.NodeSpec{Unschedulable: true}})
	}
	kube := fake.NewClientset(&objs[0], &objs[1], &objs[2])
	d := &Driver{record: &runrecord.Record{Nodes: []runrecord.NodeRecord{
		{Name: "killed-mid-node", To: "v1.31.13+k3s1", State: runrecord.NodeWaiting, Cordoned: true},
		{Name: "operators", To: "v1.31.13+k3s1", State: runrecord.NodeDone},
		{Name: "failed", To: "v1.31.13+k3s1", State: runrecord.NodeFailed, Cordoned: true},
	}}}
	d.cfg = &upgrade.Config{Kube: kube}
	d.uncordonLeftovers(t.Context())
	for name, want := range map[string]bool{"killed-mid-node": false, "operators": true, "failed": false} {
		n, err := kube.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
		if err != nil || n.Spec.Unschedulable != want {
			t.Errorf("%s cordoned %v, want %v (%v)", name, n.Spec.Unschedulable, want, err)
		}
	}
	if d.record.Nodes[0].State != runrecord.NodeDone {
		t.Errorf("the leftover is not recorded done: %+v", d.record.Nodes[0])
	}
}
