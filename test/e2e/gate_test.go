package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// TestUpgradeRKE2MixedGated: RKE2 with an etcd-only server, static control-plane pods
// that lag their kubelets, a Windows, an s390x and an arm agent, and an agent the
// operator cordoned. The servers go one at a time, each after the one before is back;
// the agents only once every kube-apiserver, controller-manager and scheduler pod runs
// the hop's version; no Job ever runs on a node without an upgrade image; the cordoned
// agent is cordoned again.
func TestUpgradeRKE2MixedGated(t *testing.T) {
	fresh(t, "rke2-mixed", nil)
	cordon(t, "rke2-agent-2")
	since := time.Now()
	// Two hops: the manual nodes stay on v1.31, and v1.35 would leave them four behind.
	// The Windows agent stays on v1.31.4 (no upgrade image), below the v1.31.5 node
	// authorization needs under v1.32 servers: the hazards preflight rightly blocks
	// on SKEW902. This test is about the gate, so the operator acknowledges it.
	r := upgradeCmd(t, rke2Channels(), "--version", rke2Target, "--yes", "--wait", "--timeout", "3m", "--accept-hazard", "SKEW902")
	t.Logf("upgrade --wait took %v", r.took.Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{"SKEW701", "rke2-win-1", "rke2-z-1", "rke2-arm-1", "cordoned rke2-agent-2 again"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("output lacks %q\n%s", want, r)
		}
	}
	events := upgradeEvents(since)
	checkOrder(t, events)
	checkAgentsAfterControlPlane(t, events, []string{"rke2-server-1", "rke2-server-2"})
	logGate(t, events)
	for _, e := range events {
		switch e.Node {
		case "rke2-win-1", "rke2-z-1", "rke2-arm-1":
			t.Errorf("a Job ran on %s, which no upgrade image can upgrade: %+v", e.Node, e)
		}
	}
	jobs, err := env.sb.Client.BatchV1().Jobs(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs.Items {
		if n := j.Labels[nodesim.LabelNode]; n == "rke2-win-1" || n == "rke2-z-1" || n == "rke2-arm-1" {
			t.Errorf("Job %s for %s", j.Name, n)
		}
	}
	kubelets := nodeKubelets(t)
	for name, v := range kubelets {
		manual := name == "rke2-win-1" || name == "rke2-z-1" || name == "rke2-arm-1"
		if manual == (v == rke2Target) {
			t.Errorf("node %s runs %s", name, v)
		}
	}
	n, err := env.sb.Client.CoreV1().Nodes().Get(context.Background(), "rke2-agent-2", metav1.GetOptions{})
	if err != nil || !n.Spec.Unschedulable {
		t.Errorf("rke2-agent-2 was cordoned before the upgrade and is not cordoned after it (err %v)", err)
	}
	if c := skew(t, "check"); c.code != 0 {
		t.Errorf("check after the upgrade: %s", c)
	}
	st := skew(t, "status")
	if !strings.Contains(st.stdout, "rke2-win-1") {
		t.Errorf("status does not list the Windows node for a manual upgrade:\n%s", st)
	}
	// The acknowledgement is recorded in our Plans, and status shows it.
	if _, after, _ := strings.Cut(st.stdout, "ACCEPTED HAZARDS"); !strings.Contains(after, "SKEW902") {
		t.Errorf("status does not show the accepted hazard SKEW902:\n%s", st)
	}
	plans, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans.Items {
		if got := p.GetAnnotations()["kubectl-skew.io/accepted-hazards"]; got != "SKEW902" {
			t.Errorf("Plan %s records accepted hazards %q, want SKEW902", p.GetName(), got)
		}
	}
}

// TestUpgradeStopsWhenAServerNeverComesBack: the second server's Job ends but the node
// never returns; the run stops within --node-timeout, names it and what is missing,
// and never releases the third server.
func TestUpgradeStopsWhenAServerNeverComesBack(t *testing.T) {
	for _, tc := range []struct{ mode, want string }{
		{"never", "k3s-server-2: its kubelet reports v1.30.14+k3s1"},
		{"notready", "k3s-server-2: it is not Ready"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			fresh(t, "k3s-healthy-ha", nil)
			annotate(t, "k3s-server-2", nodesim.AnnotationComeBack, tc.mode)
			since := time.Now()
			// The first server counts as back once its kubelet renewed its Lease after
			// its Job ended, as the Job controller dates the end: on a loaded machine
			// that date can follow the kubelet's first renewal, and the next one comes
			// a renewal interval (5 s) later. 8 s leaves room for it.
			r := upgradeCmd(t, k3sChannels(), "--version", "v1.31.13+k3s1", "--yes", "--wait", "--node-timeout", "8s", "--timeout", "2m")
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "not back within 8s") {
				t.Fatalf("want exit 1 naming %q:\n%s", tc.want, r)
			}
			for _, e := range upgradeEvents(since) {
				if e.Node == "k3s-server-3" || strings.HasPrefix(e.Plan, "kubectl-skew-agent-") {
					t.Errorf("%s started after k3s-server-2 failed to come back: %+v", e.Node, e)
				}
			}
		})
	}
}

// checkAgentsAfterControlPlane: no agent of a hop starts before every control-plane
// server's static pods moved to the hop's version.
func checkAgentsAfterControlPlane(t *testing.T, events []nodesim.Event, controlPlane []string) {
	t.Helper()
	moved := map[string]map[string]time.Time{} // version -> node -> when its pods moved
	for _, e := range events {
		if e.Event == nodesim.EventPodsMoved && strings.HasPrefix(e.Plan, "kubectl-skew-server-") {
			if moved[e.Version] == nil {
				moved[e.Version] = map[string]time.Time{}
			}
			moved[e.Version][e.Node] = e.Time
		}
	}
	for _, e := range events {
		if e.Event != nodesim.EventJobStarted || !strings.HasPrefix(e.Plan, "kubectl-skew-agent-") {
			continue
		}
		for _, cp := range controlPlane {
			at, ok := moved[e.Version][cp]
			if !ok || at.After(e.Time) {
				t.Errorf("agent %s started on %s at %s before %s's control-plane pods ran it (%v)\n%s",
					e.Node, e.Version, e.Time.Format("15:04:05.000"), cp, at.Format("15:04:05.000"), dump(events))
			}
		}
	}
}

// logGate logs, per server, the time from the node being back (kubelet Ready on the
// new version, and its pods moved) to the next server's Job: what the gate adds
// beyond the node's own restart.
func logGate(t *testing.T, events []nodesim.Event) {
	var back time.Time
	var last string
	for _, e := range events {
		if !strings.HasPrefix(e.Plan, "kubectl-skew-server-") {
			continue
		}
		switch e.Event {
		case nodesim.EventNodeUpgraded, nodesim.EventPodsMoved:
			back, last = e.Time, e.Node
		case nodesim.EventJobStarted:
			if !back.IsZero() && e.Node != last {
				t.Logf("gate: %s back at %s, %s started %v later", last, back.Format("15:04:05.000"), e.Node, e.Time.Sub(back).Round(time.Millisecond))
			}
			back = time.Time{}
		}
	}
}

func cordon(t *testing.T, node string) {
	t.Helper()
	patch(t, node, `{"spec":{"unschedulable":true}}`)
}

func annotate(t *testing.T, node, key, value string) {
	t.Helper()
	patch(t, node, `{"metadata":{"annotations":{"`+key+`":"`+value+`"}}}`)
}

func patch(t *testing.T, node, body string) {
	t.Helper()
	if _, err := env.sb.Client.CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(body), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}
