package upgrade

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

func agentPlanSelecting(canary bool, hostnames ...string) *upgradev1.Plan {
	p := &upgradev1.Plan{ObjectMeta: metav1.ObjectMeta{Name: "kubectl-skew-agent-x", Annotations: map[string]string{}}}
	if canary {
		p.Annotations[suc.AnnotationCanary] = "2"
	}
	p.Spec.NodeSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: cluster.LabelHostname, Operator: metav1.LabelSelectorOpIn, Values: hostnames}}}
	return p
}

func TestCanaryAgents(t *testing.T) {
	hop := upgradepath.Hop{}
	for _, n := range []string{"a-1", "a-2", "a-3", "a-4"} {
		hop.Agents = append(hop.Agents, upgradepath.NodeStep{Name: n, Hostname: n})
	}
	cases := []struct {
		name string
		prev *upgradev1.Plan
		n    int
		want string
		ok   bool
	}{
		{"no canary", nil, 0, "[]", false},
		{"first run: the first n", nil, 2, "[a-1 a-2]", true},
		{"canary in flight", agentPlanSelecting(true, "a-1", "a-2"), 2, "[a-1 a-2]", true},
		{"canary done (its agents left the hop)", func() *upgradev1.Plan { return agentPlanSelecting(true, "x-1", "x-2") }(), 2, "[]", false},
		{"an agent Plan without a canary", agentPlanSelecting(false, "a-1"), 2, "[]", false},
	}
	for _, tc := range cases {
		got, ok := canaryAgents(hop, tc.prev, tc.n)
		var names []string
		for _, g := range got {
			names = append(names, g.Name)
		}
		if fmt.Sprint(names) != tc.want && !(tc.want == "[]" && len(names) == 0) || ok != tc.ok {
			t.Errorf("%s: %v, %v; want %s, %v", tc.name, names, ok, tc.want, tc.ok)
		}
	}
}

func TestAbortLiftsOnlyOurCordons(t *testing.T) {
	plan := *agentPlanSelecting(false, "a-1", "a-2", "a-3", "a-4")
	plan.Annotations[suc.AnnotationCordoned] = "a-3"
	node := func(name string, cordoned bool) corev1.Node {
		n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{cluster.LabelHostname: name}}}
		n.Spec.Unschedulable = cordoned
		return n
	}
	failed := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "apply-a-2", Labels: map[string]string{suc.LabelJobPlan: plan.Name, suc.LabelJobNode: "a-2"}}}
	failed.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "disk full"}}
	selected := map[string]bool{"a-1": true, "a-2": true, "a-3": true, "a-4": true}
	res := &AbortResult{Failed: map[string]string{}}
	got := judgeCordons(res, []upgradev1.Plan{plan}, selected,
		[]corev1.Node{node("a-1", true), node("a-2", true), node("a-3", true), node("a-4", false), node("other", true)}, []batchv1.Job{failed})
	if fmt.Sprint(got) != "[a-1]" {
		t.Errorf("uncordon %v, want [a-1]: a-2's Job failed, a-3 was cordoned before, a-4 is not cordoned, other is not ours", got)
	}
	if res.Failed["a-2"] == "" || fmt.Sprint(res.CordonedBefore) != "[a-3]" {
		t.Errorf("left cordoned: failed %v, before %v", res.Failed, res.CordonedBefore)
	}
}

// TestAbortWaitsForJobsTheStatusLagsBehind: a Plan's status may still name the node
// it finished while the controller has started the next node's Job; both are in
// flight, ended Jobs are not.
func TestAbortWaitsForJobsTheStatusLagsBehind(t *testing.T) {
	plan := agentPlanSelecting(false, "a-1", "a-2", "a-3", "a-4")
	plan.Status.Applying = []string{"a-2"}
	job := func(node string, cond batchv1.JobConditionType) batchv1.Job {
		j := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "apply-" + node, Labels: map[string]string{suc.LabelJobPlan: plan.Name, suc.LabelJobNode: node}}}
		if cond != "" {
			j.Status.Conditions = []batchv1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
		}
		return j
	}
	jobs := []batchv1.Job{job("a-1", batchv1.JobComplete), job("a-2", batchv1.JobComplete), job("a-3", ""), job("a-4", batchv1.JobFailed)}
	got := upgrading([]upgradev1.Plan{*plan}, jobs)
	if strings.Join(got[plan.Name], ",") != "a-2,a-3" {
		t.Errorf("in flight = %v, want a-2 (status) and a-3 (a Job not ended)", got)
	}
	if idle := upgrading([]upgradev1.Plan{*agentPlanSelecting(false, "a-1")}, nil); len(idle) != 0 {
		t.Errorf("a Plan upgrading nothing: %v", idle)
	}
}

func TestNotAbortedSeesAnAbortInProgress(t *testing.T) {
	d := &sucDriver{applied: map[string]bool{"kubectl-skew-agent-x": true}}
	plan := agentPlanSelecting(false, "a-1")
	if err := d.notAborted([]upgradev1.Plan{*plan}); err != nil {
		t.Errorf("our Plan as applied: %v", err)
	}
	suc.MarkAborting(plan, time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC))
	if err := d.notAborted([]upgradev1.Plan{*plan}); !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "abort again") {
		t.Errorf("a Plan abort narrowed: %v", err)
	}
	if err := d.notAborted(nil); !errors.Is(err, ErrAborted) {
		t.Errorf("a Plan this run applied is gone: %v", err)
	}
}
