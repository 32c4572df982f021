package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

var plansGVR = schema.GroupVersionResource{Group: "upgrade.cattle.io", Version: "v1", Resource: "plans"}

func applyPlan(t *testing.T, p *upgradev1.Plan) {
	t.Helper()
	p.APIVersion, p.Kind, p.Namespace = "upgrade.cattle.io/v1", "Plan", sandbox.SUCNamespace
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create plan %s: %v", p.Name, err)
	}
}

// TestNodeSimulatorWithTheRealController drives one hop of a K3s HA cluster through the
// real system-upgrade-controller: a server Plan (one at a time, cordon) and an agent Plan
// (two at a time, drain, prepare waiting for the servers), with one agent told to fail.
// It checks the simulator's log for the order a real cluster would show.
func TestNodeSimulatorWithTheRealController(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	const target = "v1.31.13+k3s1"
	env.sb.Nodesim.Fail("k3s-agent-5", "disk full")
	since := time.Now()
	t.Cleanup(func() {
		// Leave no Plan behind for the next test's controller to act on.
		for _, name := range []string{"k3s-server", "k3s-agent"} {
			_ = env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).Delete(context.Background(), name, metav1.DeleteOptions{})
		}
		env.sb.Nodesim.Clear("k3s-agent-5")
	})

	cp := metav1.LabelSelectorRequirement{Key: "node-role.kubernetes.io/control-plane", Operator: metav1.LabelSelectorOpIn, Values: []string{"true"}}
	noCP := metav1.LabelSelectorRequirement{Key: "node-role.kubernetes.io/control-plane", Operator: metav1.LabelSelectorOpDoesNotExist}
	applyPlan(t, &upgradev1.Plan{
		ObjectMeta: metav1.ObjectMeta{Name: "k3s-server"},
		Spec: upgradev1.PlanSpec{
			Concurrency: 1, Cordon: true, Version: target, ServiceAccountName: sandbox.SUCServiceAccount,
			NodeSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{cp}},
			Upgrade:      &upgradev1.ContainerSpec{Image: "rancher/k3s-upgrade"},
		},
	})
	applyPlan(t, &upgradev1.Plan{
		ObjectMeta: metav1.ObjectMeta{Name: "k3s-agent"},
		Spec: upgradev1.PlanSpec{
			Concurrency: 2, Version: target, ServiceAccountName: sandbox.SUCServiceAccount,
			Drain:        &upgradev1.DrainSpec{Force: true},
			NodeSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{noCP}},
			Prepare:      &upgradev1.ContainerSpec{Image: "rancher/k3s-upgrade", Args: []string{"prepare", "k3s-server"}},
			Upgrade:      &upgradev1.ContainerSpec{Image: "rancher/k3s-upgrade"},
		},
	})

	// Wait for 7 nodes on the target and agent-5's failure.
	deadline := time.Now().Add(3 * time.Minute)
	var events []nodesim.Event
	for {
		events = eventsSince(since)
		done, failed := 0, 0
		for _, e := range events {
			switch e.Event {
			case nodesim.EventJobComplete:
				done++
			case nodesim.EventJobFailed:
				failed++
			}
		}
		if done >= 7 && failed >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upgrade did not finish in 3 minutes (%d complete, %d failed); events:\n%s", done, failed, dump(events))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// Servers one at a time, all of them before any agent passes prepare.
	var lastServerDone time.Time
	running := map[string]int{}
	maxRunning := map[string]int{}
	for _, e := range events {
		switch e.Event {
		case nodesim.EventJobStarted:
			running[e.Plan]++
			maxRunning[e.Plan] = max(maxRunning[e.Plan], running[e.Plan])
		case nodesim.EventJobComplete, nodesim.EventJobFailed:
			running[e.Plan]--
			if e.Plan == "k3s-server" {
				lastServerDone = e.Time
			}
		}
	}
	if maxRunning["k3s-server"] != 1 || maxRunning["k3s-agent"] > 2 {
		t.Errorf("concurrency: servers %d at once (want 1), agents %d (want <= 2)\n%s", maxRunning["k3s-server"], maxRunning["k3s-agent"], dump(events))
	}
	for _, e := range events {
		if e.Plan == "k3s-agent" && (e.Event == nodesim.EventPrepareDone || e.Event == nodesim.EventNodeUpgraded) && e.Time.Before(lastServerDone) {
			t.Errorf("agent %s %s at %v, before the last server finished at %v", e.Node, e.Event, e.Time, lastServerDone)
		}
		if e.Event == nodesim.EventError {
			t.Errorf("simulator error: %+v", e)
		}
	}

	// What SUC does after the node's part: label and uncordon on success, leave the
	// failed node cordoned and report the failure on the Plan.
	ctx := context.Background()
	waitFor(t, "SUC to label and uncordon the upgraded nodes", func() (bool, string) {
		nodes, err := env.sb.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var wrong []string
		for _, n := range nodes.Items {
			failedNode := n.Name == "k3s-agent-5"
			plan := "k3s-agent"
			if _, ok := n.Labels["node-role.kubernetes.io/control-plane"]; ok {
				plan = "k3s-server"
			}
			_, labelled := n.Labels["plan.upgrade.cattle.io/"+plan]
			onTarget := n.Status.NodeInfo.KubeletVersion == target
			if onTarget == failedNode || labelled == failedNode || n.Spec.Unschedulable != failedNode {
				wrong = append(wrong, fmt.Sprintf("%s (kubelet %s, labelled %v, unschedulable %v)", n.Name, n.Status.NodeInfo.KubeletVersion, labelled, n.Spec.Unschedulable))
			}
		}
		return len(wrong) == 0, strings.Join(wrong, "; ")
	})
	// SUC records the failure as an Event on the Plan, with the Job controller's
	// reason (its Complete condition says JobFailed only until the next change of
	// status.applying overwrites it); the image's own words are in the pod.
	waitFor(t, "SUC's JobFailed event for k3s-agent-5", func() (bool, string) {
		evs, err := env.sb.Client.CoreV1().Events(sandbox.SUCNamespace).List(ctx, metav1.ListOptions{FieldSelector: "reason=JobFailed"})
		if err != nil {
			return false, err.Error()
		}
		var msgs []string
		for _, e := range evs.Items {
			if e.InvolvedObject.Name == "k3s-agent" && strings.Contains(e.Message, "k3s-agent-5") && strings.Contains(e.Message, "BackoffLimitExceeded") {
				return true, ""
			}
			msgs = append(msgs, e.Message)
		}
		return false, fmt.Sprint(msgs)
	})
	pods, err := env.sb.Client.CoreV1().Pods(sandbox.SUCNamespace).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=k3s-agent-5"})
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, p := range pods.Items {
		for _, c := range p.Status.ContainerStatuses {
			if c.State.Terminated != nil {
				said = append(said, c.State.Terminated.Message)
			}
		}
	}
	if !strings.Contains(strings.Join(said, "\n"), "disk full") {
		t.Errorf("the failed upgrade pod on k3s-agent-5 does not say why: %q", said)
	}
}

func eventsSince(t0 time.Time) []nodesim.Event {
	var out []nodesim.Event
	for _, e := range env.sb.Nodesim.Events() {
		if !e.Time.Before(t0) {
			out = append(out, e)
		}
	}
	return out
}

func dump(events []nodesim.Event) string {
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %s %-16s %-12s %-10s %s %s\n", e.Time.Format("15:04:05.000"), e.Event, e.Node, e.Plan, e.Version, e.Message)
	}
	return b.String()
}

func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %s", what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
