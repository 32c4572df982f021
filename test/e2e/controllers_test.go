package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// TestJobDeadlineFailsTheJob: an upgrade that never ends on k3s-server-1 (a hung
// download), and a Plan whose Jobs may run 5 s: the real Job controller fails the Job
// (DeadlineExceeded) and deletes its pod, and `kubectl skew status` names the Job, the
// node and the reason.
func TestJobDeadlineFailsTheJob(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	ctx := context.Background()
	annotate(t, "k3s-server-1", nodesim.AnnotationHang, "true")
	if r := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--yes"); r.code != 0 {
		t.Fatalf("upgrade: %s", r)
	}
	plans := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace)
	l, err := plans.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// As an operator tunes a Plan: SUC gives its Jobs that activeDeadlineSeconds.
	for _, p := range l.Items {
		if _, err := plans.Patch(ctx, p.GetName(), types.MergePatchType, []byte(`{"spec":{"jobActiveDeadlineSecs":5}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var jobName string
	waitFor(t, "the Job controller to fail the hung Job at its deadline", func() (bool, string) {
		jobs, err := env.sb.Client.BatchV1().Jobs(sandbox.SUCNamespace).List(ctx, metav1.ListOptions{LabelSelector: nodesim.LabelNode + "=k3s-server-1"})
		if err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, j := range jobs.Items {
			for _, c := range j.Status.Conditions {
				if c.Type == "Failed" && c.Status == corev1.ConditionTrue && c.Reason == "DeadlineExceeded" {
					jobName = j.Name
					return true, ""
				}
				seen = append(seen, j.Name+": "+string(c.Type)+" "+c.Reason)
			}
		}
		return false, strings.Join(seen, "; ")
	})
	st := skew(t, "status")
	if st.code != 3 {
		t.Errorf("status of a Job failed at its deadline: want exit 3: %s", st)
	}
	for _, want := range []string{jobName, "k3s-server-1", "DeadlineExceeded"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status lacks %q\n%s", want, st)
		}
	}
}

// TestSilentNodeIsMarked: a node whose kubelet stops renewing its Lease is marked by
// the real node lifecycle controller (Ready Unknown, the unreachable taint), and check
// reports it.
func TestSilentNodeIsMarked(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	ctx := context.Background()
	annotate(t, "k3s-agent-4", nodesim.AnnotationKubelet, "stopped")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := env.sb.Client.CoreV1().Nodes().Get(ctx, "k3s-agent-4", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if unknownAndTainted(n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("k3s-agent-4 was never marked: conditions %+v, taints %+v", n.Status.Conditions, n.Spec.Taints)
		}
		time.Sleep(time.Second)
	}
	r := skew(t, "check", "-o", "wide")
	if !strings.Contains(r.stdout, "k3s-agent-4") || !strings.Contains(r.stdout, "NotReady") {
		t.Errorf("check does not show k3s-agent-4 NotReady:\n%s", r)
	}
	// The other nodes' kubelets kept renewing: none was marked.
	nodes, err := env.sb.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range nodes.Items {
		if n := &nodes.Items[i]; n.Name != "k3s-agent-4" && unknownAndTainted(n) {
			t.Errorf("%s was marked too", n.Name)
		}
	}
}

func unknownAndTainted(n *corev1.Node) bool {
	unknown, tainted := false, false
	for _, c := range n.Status.Conditions {
		unknown = unknown || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionUnknown)
	}
	for _, tt := range n.Spec.Taints {
		tainted = tainted || tt.Key == corev1.TaintNodeUnreachable
	}
	return unknown && tainted
}
