package upgrade

import (
	"fmt"
	"testing"

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
