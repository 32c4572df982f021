package status

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// hopPlans are the server and agent Plans of one hop over s-1..s-3 and a-1..a-2.
func hopPlans(v, from string, snapshot bool) []upgradev1.Plan {
	to, f := version.MustParse(v), version.MustParse(from)
	h := upgradepath.Hop{To: to, From: f}
	for _, n := range []string{"s-1", "s-2", "s-3"} {
		h.Servers = append(h.Servers, upgradepath.NodeStep{Name: n, Hostname: n, From: f})
	}
	for _, n := range []string{"a-1", "a-2"} {
		h.Agents = append(h.Agents, upgradepath.NodeStep{Name: n, Hostname: n, From: f})
	}
	rec := suc.Record{Target: version.MustParse("v1.33.5+k3s1"), Path: []string{"v1.31.13+k3s1", "v1.32.9+k3s1", "v1.33.5+k3s1"}}
	if snapshot {
		rec.Snapshot, rec.SnapshotNode = "kubectl-skew-pre-upgrade-v1.30.14-k3s1", "s-1"
	}
	s := suc.ServerPlan(version.K3s, h, rec, suc.DefaultPlanConfig())
	a := suc.AgentPlan(version.K3s, h, s.Name, rec, suc.DefaultPlanConfig())
	return []upgradev1.Plan{*s, *a}
}

func statusNodes(versions map[string]string) []corev1.Node {
	var out []corev1.Node
	for _, n := range []string{"s-1", "s-2", "s-3", "a-1", "a-2"} {
		node := nodeObj(n, versions[n], strings.HasPrefix(n, "s-"))
		node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		out = append(out, node)
	}
	return out
}

func job(plan, node, v string, failed bool) batchv1.Job {
	j := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "apply-" + plan + "-on-" + node, Labels: map[string]string{suc.LabelJobPlan: plan, suc.LabelJobNode: node, suc.LabelJobVersion: v}}}
	if failed {
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "disk full"}}
	}
	return j
}

func TestBuild(t *testing.T) {
	all := func(v string) map[string]string {
		return map[string]string{"s-1": v, "s-2": v, "s-3": v, "a-1": v, "a-2": v}
	}
	t.Run("no Plan of ours", func(t *testing.T) {
		r := Build(Input{Namespace: "system-upgrade"})
		if r.Summary.State != report.StateNone || !strings.Contains(r.Summary.Next, "kubectl skew plan") {
			t.Errorf("%+v", r.Summary)
		}
	})
	t.Run("servers applying", func(t *testing.T) {
		plans := hopPlans("v1.31.13+k3s1", "v1.30.14+k3s1", true)[:1]
		plans[0].Status.Applying = []string{"s-2"}
		v := all("v1.30.14+k3s1")
		v["s-1"] = "v1.31.13+k3s1"
		r := Build(Input{Namespace: "system-upgrade", Plans: plans, Nodes: statusNodes(v),
			Jobs: []batchv1.Job{job(plans[0].Name, "s-2", "v1.31.13-k3s1", false)}})
		s := r.Summary
		if s.State != report.StateInProgress || s.Hop != 1 || s.Hops != 3 || s.Phase != "servers" || s.Done != 1 || s.Applying != 1 || s.Pending != 1 {
			t.Errorf("%+v", s)
		}
		if r.Snapshot == nil || r.Snapshot.Name != "kubectl-skew-pre-upgrade-v1.30.14-k3s1" {
			t.Errorf("snapshot = %+v", r.Snapshot)
		}
		if !strings.Contains(s.Next, "--wait") {
			t.Errorf("next = %s", s.Next)
		}
	})
	t.Run("an agent's Job failed", func(t *testing.T) {
		plans := hopPlans("v1.31.13+k3s1", "v1.30.14+k3s1", true)
		v := all("v1.31.13+k3s1")
		v["a-2"] = "v1.30.14+k3s1"
		r := Build(Input{Namespace: "system-upgrade", Plans: plans, Nodes: statusNodes(v),
			Jobs: []batchv1.Job{job(plans[1].Name, "a-2", "v1.31.13-k3s1", true)}})
		s := r.Summary
		if s.State != report.StateFailed || s.Phase != "agents" || s.Failed != 1 || len(r.Failures) != 1 || r.Failures[0].Message != "BackoffLimitExceeded: disk full" {
			t.Fatalf("%+v %+v", s, r.Failures)
		}
		if !strings.Contains(s.Next, "--retry-failed") || !strings.Contains(s.Next, "a-2") {
			t.Errorf("next = %s", s.Next)
		}
		rb := strings.Join(r.Rollback, "\n")
		for _, want := range []string{"snapshot kubectl-skew-pre-upgrade-v1.30.14-k3s1", "with v1.30.14+k3s1", "INSTALL_K3S_VERSION=v1.30.14+k3s1", "--cluster-reset-restore-path", "On s-1:"} {
			if !strings.Contains(rb, want) {
				t.Errorf("rollback lacks %q:\n%s", want, rb)
			}
		}
	})
	t.Run("a hop done, the next not applied", func(t *testing.T) {
		r := Build(Input{Namespace: "system-upgrade", Plans: hopPlans("v1.31.13+k3s1", "v1.30.14+k3s1", false), Nodes: statusNodes(all("v1.31.13+k3s1"))})
		if r.Summary.State != report.StateWaiting || !strings.Contains(r.Summary.Next, "--version v1.33.5+k3s1") {
			t.Errorf("%+v", r.Summary)
		}
	})
	t.Run("an abort that has not finished", func(t *testing.T) {
		plans := hopPlans("v1.31.13+k3s1", "v1.30.14+k3s1", false)[:1]
		suc.MarkAborting(&plans[0], time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC))
		plans[0].Status.Applying = []string{"s-1"}
		r := Build(Input{Namespace: "system-upgrade", Plans: plans, Nodes: statusNodes(all("v1.30.14+k3s1")),
			Jobs: []batchv1.Job{job(plans[0].Name, "s-1", "v1.31.13-k3s1", false)}})
		if s := r.Summary; s.State != report.StateAborting || !strings.Contains(s.Next, "kubectl skew abort --yes") || !strings.Contains(s.Next, "2026-12-05T13:00:00Z") {
			t.Errorf("%+v", s)
		}
	})
	t.Run("complete", func(t *testing.T) {
		plans := hopPlans("v1.33.5+k3s1", "v1.32.9+k3s1", false)
		for i := range plans {
			upgradev1.PlanComplete.True(&plans[i])
		}
		r := Build(Input{Namespace: "system-upgrade", Plans: plans, Nodes: statusNodes(all("v1.33.5+k3s1"))})
		if r.Summary.State != report.StateComplete || r.Summary.Hop != 3 || len(r.Rollback) != 0 || !r.Plans[0].Complete {
			t.Errorf("%+v rollback=%v", r.Summary, r.Rollback)
		}
	})
}

func TestRollbackRKE2(t *testing.T) {
	rb := strings.Join(Rollback(version.RKE2, "v1.31.13+rke2r1", nil), "\n")
	for _, want := range []string{"systemctl stop rke2-server", "INSTALL_RKE2_VERSION=v1.31.13+rke2r1", "rke2 server --cluster-reset", "/var/lib/rancher/rke2/server/db", "rke2 etcd-snapshot ls"} {
		if !strings.Contains(rb, want) {
			t.Errorf("RKE2 rollback lacks %q:\n%s", want, rb)
		}
	}
}

func nodeObj(name, v string, server bool) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{cluster.LabelHostname: name}}}
	if server {
		n.Labels[cluster.LabelControlPlane], n.Labels[cluster.LabelEtcd] = "true", "true"
	}
	n.Status.NodeInfo.KubeletVersion = v
	return n
}

// TestStatusAndCheckAgreeOnRoles: status and check read a node's role through the
// same rule, kubeadm's empty label value included.
func TestStatusAndCheckAgreeOnRoles(t *testing.T) {
	cases := map[string]map[string]string{
		"kubeadm control plane (empty value)": {cluster.LabelControlPlane: ""},
		"K3s server":                          {cluster.LabelControlPlane: "true", cluster.LabelEtcd: "true"},
		"etcd-only":                           {cluster.LabelEtcd: "true"},
		"label set to false":                  {cluster.LabelControlPlane: "false"},
		"agent":                               {},
	}
	for name, labels := range cases {
		t.Run(name, func(t *testing.T) {
			labels[cluster.LabelHostname] = "n1"
			n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", Labels: labels}}
			n.Status.NodeInfo.KubeletVersion = "v1.31.13+k3s1"
			inv := cluster.Build(cluster.Objects{Nodes: []corev1.Node{n}})
			plans := hopPlans("v1.32.9+k3s1", "v1.31.13+k3s1", false)
			plans[0].Spec.NodeSelector.MatchExpressions[0].Values = []string{"n1"}
			r := Build(Input{Namespace: "system-upgrade", Plans: plans[:1], Nodes: []corev1.Node{n}})
			if len(r.Nodes) != 1 {
				t.Fatalf("status lists %d nodes", len(r.Nodes))
			}
			if got, want := r.Nodes[0].Role, string(inv.Nodes[0].Role); got != want {
				t.Errorf("status says %s, check says %s", got, want)
			}
		})
	}
}

// TestAcceptedHazards: what each run acknowledged is read back from our Plans'
// annotations, once each, in ID order, with the hazard's title.
func TestAcceptedHazards(t *testing.T) {
	first := hopPlans("v1.31.13+k3s1", "v1.30.14+k3s1", false)
	second := hopPlans("v1.32.12+k3s1", "v1.31.13+k3s1", false)
	first[0].Annotations[suc.AnnotationAcceptedHazards] = "SKEW902"
	second[0].Annotations[suc.AnnotationAcceptedHazards] = "SKEW901,SKEW902"
	second[1].Annotations[suc.AnnotationAcceptedHazards] = "SKEW999"
	plans := append(first, second...)
	r := Build(Input{Namespace: "system-upgrade", Plans: plans, Nodes: statusNodes(map[string]string{"s-1": "v1.31.13+k3s1", "s-2": "v1.31.13+k3s1", "s-3": "v1.31.13+k3s1", "a-1": "v1.31.13+k3s1", "a-2": "v1.31.13+k3s1"})})
	var ids []string
	for _, h := range r.AcceptedHazards {
		ids = append(ids, h.ID)
		if h.Title == "" {
			t.Errorf("%s has no title", h.ID)
		}
	}
	if strings.Join(ids, ",") != "SKEW901,SKEW902,SKEW999" {
		t.Errorf("accepted = %v", ids)
	}
	if r.AcceptedHazards[2].Title != "not a hazard this version knows" {
		t.Errorf("an ID this version does not know: %+v", r.AcceptedHazards[2])
	}
	if none := Build(Input{Namespace: "system-upgrade", Plans: first[1:], Nodes: statusNodes(nil)}); len(none.AcceptedHazards) != 0 {
		t.Errorf("no Plan records an acceptance, got %+v", none.AcceptedHazards)
	}
}
