package clitest

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// PlanSpec is one of our Plans as kubectl skew upgrade writes it (pkg/skew/suc:
// labels, record annotations, a hostname selector), with the status the controller
// gives it.
type PlanSpec struct {
	// Role is suc.RoleServer, suc.RoleAgent or suc.RoleSnapshot.
	Role string
	// Version is the hop's version; From the version its nodes ran before.
	Version, From string
	// Target and Path are the upgrade's record: the final version and every hop.
	Target string
	Path   []string
	// Nodes are the hostnames it selects; Applying those in status.applying.
	Nodes, Applying []string
	// Complete is the controller's Complete condition.
	Complete bool
	Created  time.Time
	// Annotations are more of ours: snapshot, cordoned-before, accepted hazards, aborting.
	Annotations map[string]string
}

// PlanName is the name kubectl skew gives the Plan of a role and version.
func PlanName(role, version string) string {
	return "kubectl-skew-" + role + "-" + strings.ToLower(imageTag(version))
}

func imageTag(version string) string { return strings.ReplaceAll(version, "+", "-") }

// Object is the Plan.
func (p PlanSpec) Object() *unstructured.Unstructured {
	name := PlanName(p.Role, p.Version)
	if p.Role == suc.RoleSnapshot {
		name = "kubectl-skew-snapshot-" + strings.ToLower(imageTag(p.Version))
	}
	annotations := map[string]string{}
	if p.Target != "" {
		annotations[suc.AnnotationTarget] = p.Target
	}
	if len(p.Path) > 0 {
		annotations[suc.AnnotationPath] = strings.Join(p.Path, ",")
	}
	if p.From != "" {
		annotations[suc.AnnotationFrom] = p.From
	}
	for k, v := range p.Annotations {
		annotations[k] = v
	}
	exprs := []any{
		map[string]any{"key": "kubernetes.io/hostname", "operator": "In", "values": strs(p.Nodes)},
		map[string]any{"key": suc.LabelOS, "operator": "NotIn", "values": []any{"windows"}},
		map[string]any{"key": "kubectl-skew.io/exclude", "operator": "NotIn", "values": []any{"true"}},
	}
	image := "rancher/k3s-upgrade:" + imageTag(p.Version)
	if strings.Contains(p.Version, "rke2") {
		image = "rancher/rke2-upgrade:" + imageTag(p.Version)
	}
	spec := map[string]any{"concurrency": int64(1), "version": p.Version, "serviceAccountName": suc.DefaultServiceAccount,
		"tolerations": []any{map[string]any{"operator": "Exists"}}, "upgrade": map[string]any{"image": image}}
	switch p.Role {
	case suc.RoleAgent:
		exprs = append(exprs,
			map[string]any{"key": "node-role.kubernetes.io/control-plane", "operator": "NotIn", "values": []any{"true"}},
			map[string]any{"key": "node-role.kubernetes.io/etcd", "operator": "NotIn", "values": []any{"true"}})
		spec["drain"] = map[string]any{"timeout": "5m0s", "deleteEmptydirData": true, "ignoreDaemonSets": true}
		spec["jobActiveDeadlineSecs"] = int64(900)
		spec["prepare"] = map[string]any{"image": image, "args": []any{"prepare", PlanName(suc.RoleServer, p.Version)}}
	default:
		spec["cordon"] = true
	}
	spec["nodeSelector"] = map[string]any{"matchExpressions": exprs}
	conditions := []any{}
	if p.Complete {
		conditions = append(conditions, map[string]any{"type": "Complete", "status": "True", "lastUpdateTime": p.Created.Add(time.Hour).UTC().Format(time.RFC3339)})
	}
	status := map[string]any{"conditions": conditions}
	if len(p.Applying) > 0 {
		status["applying"] = strs(p.Applying)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "upgrade.cattle.io/v1", "kind": "Plan", "spec": spec, "status": status}}
	u.SetName(name)
	u.SetNamespace(suc.DefaultNamespace)
	u.SetLabels(map[string]string{suc.LabelManagedBy: suc.ManagedBy, suc.LabelRole: p.Role, suc.LabelVersion: imageTag(p.Version)})
	u.SetAnnotations(annotations)
	u.SetCreationTimestamp(metav1.NewTime(p.Created))
	u.SetUID(types.UID("uid-" + name))
	return u
}

func strs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// JobSpec is one upgrade Job the controller created for a Plan on a node.
type JobSpec struct {
	Plan, Node, Version string
	// Complete, or Failed with a reason ("BackoffLimitExceeded") and a message; neither is running.
	Complete       bool
	Failed, Reason string
	Created        time.Time
}

// Object is the Job, named and labelled as the controller does.
func (j JobSpec) Object() *batchv1.Job {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{
		Name: "apply-" + j.Plan + "-on-" + j.Node + "-with-0123456789abcdef", Namespace: suc.DefaultNamespace,
		CreationTimestamp: metav1.NewTime(j.Created),
		Labels: map[string]string{suc.LabelJobPlan: j.Plan, suc.LabelJobNode: j.Node, suc.LabelJobVersion: imageTag(j.Version),
			suc.LabelManagedBy: suc.ManagedBy},
	}}
	switch {
	case j.Complete:
		job.Status.Succeeded = 1
		job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
	case j.Failed != "":
		job.Status.Failed = 1
		job.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: j.Reason, Message: j.Failed}}
	default:
		job.Status.Active = 1
	}
	return job
}

// SnapshotFile is a ready K3s ETCDSnapshotFile of a snapshot taken on node at created.
func SnapshotFile(name, node string, created time.Time) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "k3s.cattle.io/v1", "kind": "ETCDSnapshotFile",
		"spec":   map[string]any{"snapshotName": name, "nodeName": node, "location": "file:///var/lib/rancher/k3s/server/db/snapshots/" + name},
		"status": map[string]any{"readyToUse": true, "creationTime": created.UTC().Format(time.RFC3339), "size": "12Mi"},
	}}
	u.SetName("local-" + name)
	return u
}

// T0 is when the fixtures' upgrade began.
var T0 = time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)

// K3sPath is the fixtures' upgrade: v1.30.14+k3s1 to v1.33.5+k3s1 in three hops.
var K3sPath = []string{"v1.31.13+k3s1", "v1.32.9+k3s1", "v1.33.5+k3s1"}

// K3sHop2 is a K3s cluster that kubectl skew upgrade took from v1.30.14+k3s1 through
// hop 1 (servers, then agents: both Plans complete) into hop 2's servers (Plan
// created at T0+2h): s-1 runs v1.32.9+k3s1, s-2 is cordoned and its Job runs (with
// failed, the Job failed), s-3 waits. Agent a-2 was cordoned before the run (hop 1's
// agent Plan records it). The dynamic client also holds three ready etcd snapshots
// of s-1: before hop 1, between the hops, and during hop 2 (served only after
// c.Serve("k3s.cattle.io/v1", "etcdsnapshotfiles")).
func K3sHop2(t testing.TB, failed bool) *SUCCluster {
	t.Helper()
	const v1, v2 = "v1.31.13+k3s1", "v1.32.9+k3s1"
	hop1, hop2 := T0, T0.Add(2*time.Hour)
	s2 := JobSpec{Plan: PlanName(suc.RoleServer, v2), Node: "s-2", Version: v2, Created: hop2.Add(20 * time.Minute)}
	applying := []string{"s-2"}
	if failed {
		s2.Reason, s2.Failed = "BackoffLimitExceeded", "Job has reached the specified backoff limit"
	}
	nodes := []NodeSpec{
		Server("s-1", v2), {Name: "s-2", Kubelet: v1, Labels: Server("", "").Labels, Cordoned: true}, Server("s-3", v1),
		Agent("a-1", v1), {Name: "a-2", Kubelet: v1, Cordoned: true},
	}
	var jobs []runtime.Object
	for i, n := range []string{"s-1", "s-2", "s-3"} {
		jobs = append(jobs, JobSpec{Plan: PlanName(suc.RoleServer, v1), Node: n, Version: v1, Complete: true, Created: hop1.Add(time.Duration(i+1) * 10 * time.Minute)}.Object())
	}
	for i, n := range []string{"a-1", "a-2"} {
		jobs = append(jobs, JobSpec{Plan: PlanName(suc.RoleAgent, v1), Node: n, Version: v1, Complete: true, Created: hop1.Add(time.Duration(i+4) * 10 * time.Minute)}.Object())
	}
	jobs = append(jobs, JobSpec{Plan: PlanName(suc.RoleServer, v2), Node: "s-1", Version: v2, Complete: true, Created: hop2.Add(10 * time.Minute)}.Object(), s2.Object())
	c := NewSUCCluster(t, nodes, jobs...)
	rec := func(p PlanSpec) PlanSpec {
		p.Target, p.Path = K3sPath[2], K3sPath
		return p
	}
	c.Add(t,
		rec(PlanSpec{Role: suc.RoleServer, Version: v1, From: "v1.30.14+k3s1", Nodes: []string{"s-1", "s-2", "s-3"}, Complete: true, Created: hop1}).Object(),
		rec(PlanSpec{Role: suc.RoleAgent, Version: v1, From: "v1.30.14+k3s1", Nodes: []string{"a-1", "a-2"}, Complete: true, Created: hop1,
			Annotations: map[string]string{suc.AnnotationCordoned: "a-2"}}).Object(),
		rec(PlanSpec{Role: suc.RoleServer, Version: v2, From: v1, Nodes: []string{"s-1", "s-2", "s-3"}, Applying: applying, Created: hop2,
			Annotations: map[string]string{suc.AnnotationAcceptedHazards: "SKEW907"}}).Object(),
		SnapshotFile("etcd-snapshot-s-1-1748768400", "s-1", hop1.Add(-time.Hour)),
		SnapshotFile("etcd-snapshot-s-1-1748778600", "s-1", hop2.Add(-10*time.Minute)),
		SnapshotFile("etcd-snapshot-s-1-1748781000", "s-1", hop2.Add(30*time.Minute)),
	)
	return c
}
