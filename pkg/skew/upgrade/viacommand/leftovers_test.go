package viacommand

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
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

// TestTidyEndsAKilledRunOnTheTarget: with every node on the target there is no step
// left, yet a run killed after its last node's command left that node cordoned and
// its record running: Tidy uncordons the node and closes the record; a record of
// another target, or one already done, is left alone.
func TestTidyEndsAKilledRunOnTheTarget(t *testing.T) {
	target := version.MustParse("v1.31.13+k3s1")
	for _, tc := range []struct {
		name         string
		state        string
		recordTarget string
		wantCordoned bool
		wantState    string
	}{
		{"killed on the last node", runrecord.StateRunning, target.String(), false, runrecord.StateDone},
		{"another target", runrecord.StateRunning, "v1.32.9+k3s1", true, runrecord.StateRunning},
		{"already done", runrecord.StateDone, target.String(), true, runrecord.StateDone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "agent-1"}, Spec: corev1.NodeSpec{Unschedulable: true}}
			kube := fake.NewClientset(node)
			rec := &runrecord.Record{Driver: "command", Target: tc.recordTarget, State: tc.state,
				Nodes: []runrecord.NodeRecord{{Name: "agent-1", To: tc.recordTarget, State: runrecord.NodeWaiting, Cordoned: true}}}
			if err := runrecord.Write(t.Context(), kube, "kube-system", rec); err != nil {
				t.Fatal(err)
			}
			d := &Driver{record: rec, Holder: "me"}
			d.cfg = &upgrade.Config{Kube: kube}
			if err := d.Tidy(t.Context(), &upgrade.Proposal{Path: &upgradepath.Path{Target: target}}); err != nil {
				t.Fatalf("Tidy: %v", err)
			}
			n, _ := kube.CoreV1().Nodes().Get(t.Context(), "agent-1", metav1.GetOptions{})
			if n.Spec.Unschedulable != tc.wantCordoned {
				t.Errorf("cordoned %v, want %v", n.Spec.Unschedulable, tc.wantCordoned)
			}
			got, err := runrecord.Read(t.Context(), kube, "kube-system")
			if err != nil || got == nil || got.State != tc.wantState {
				t.Errorf("record after Tidy: %+v (%v), want state %s", got, err, tc.wantState)
			}
		})
	}
}
