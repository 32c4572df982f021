package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// The invariants every cell must keep, whatever struck it: one checker for the
// drivers on nodes (SUC and the command driver), one for Rancher-imported clusters.

// Objects that are not ours, seeded before the run: they must stay as they were.
const (
	foreignPlan      = "site-os-patches"
	foreignConfigMap = "site-maintenance"
)

// seedForeign creates a Plan and a ConfigMap that are not ours. The Plan selects no
// node (a label no node has), so the preflight has no reason to refuse.
func seedForeign(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	p := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "upgrade.cattle.io/v1", "kind": "Plan",
		"metadata": map[string]any{"name": foreignPlan, "namespace": sandbox.SUCNamespace, "labels": map[string]any{"team": "platform"}},
		"spec": map[string]any{
			"concurrency":        int64(1),
			"serviceAccountName": sandbox.SUCServiceAccount,
			"nodeSelector":       map[string]any{"matchLabels": map[string]any{"site.example/os-patches": "true"}},
			"version":            "v2",
			"upgrade":            map[string]any{"image": "registry.example/os-patches"},
		},
	}}
	if _, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).Create(ctx, p, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: foreignConfigMap, Namespace: runrecord.DefaultNamespace}, Data: map[string]string{"window": "sat 02:00"}}
	if _, err := env.sb.Client.CoreV1().ConfigMaps(runrecord.DefaultNamespace).Create(ctx, cm, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).Delete(context.Background(), foreignPlan, metav1.DeleteOptions{})
		_ = env.sb.Client.CoreV1().ConfigMaps(runrecord.DefaultNamespace).Delete(context.Background(), foreignConfigMap, metav1.DeleteOptions{})
	})
}

// checkForeign: the foreign Plan's spec, labels and annotations are as seeded and
// nothing of ours ever wrote it (no managed-fields entry of our field manager); the
// foreign ConfigMap is untouched (SUC writes a Plan's status, nothing writes the map).
func checkForeign(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	p, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).Get(ctx, foreignPlan, metav1.GetOptions{})
	if err != nil {
		t.Errorf("the foreign Plan: %v", err)
		return
	}
	if v, _, _ := unstructured.NestedString(p.Object, "spec", "version"); v != "v2" || len(p.GetAnnotations()) != 0 || p.GetLabels()["team"] != "platform" || len(p.GetLabels()) != 1 {
		t.Errorf("the foreign Plan was changed: version %q, labels %v, annotations %v", v, p.GetLabels(), p.GetAnnotations())
	}
	for _, m := range p.GetManagedFields() {
		if m.Manager == suc.FieldManager {
			t.Errorf("we wrote the foreign Plan %s: %+v", foreignPlan, m)
		}
	}
	cm, err := env.sb.Client.CoreV1().ConfigMaps(runrecord.DefaultNamespace).Get(ctx, foreignConfigMap, metav1.GetOptions{})
	if err != nil || cm.Data["window"] != "sat 02:00" || len(cm.ManagedFields) != 1 {
		t.Errorf("the foreign ConfigMap was changed: %v %+v", err, cm)
	}
}

// checkNodeInvariants is the checker for drivers that move the nodes themselves:
// never two servers down at once, never an agent started before every control-plane
// server runs the hop (from the simulator's log over the whole chain), no Plan of
// ours twice for one role and version, nothing foreign written; final adds every node
// on the target and nothing of ours left behind.
func checkNodeInvariants(t *testing.T, events []nodesim.Event, servers map[string]bool, controlPlane []string, target string, final bool) {
	t.Helper()
	checkCommandOrder(t, events, servers)
	checkAgentsAfterControlPlane(t, events, controlPlane)
	checkForeign(t)
	plans, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans.Items {
		if p.GetName() == foreignPlan {
			continue
		}
		if p.GetLabels()["app.kubernetes.io/managed-by"] != "kubectl-skew" {
			t.Errorf("a Plan that is neither ours nor the seeded one: %s", p.GetName())
		}
		if final && abortingPlan(t, p) {
			t.Errorf("Plan %s is left marked aborting", p.GetName())
		}
	}
	if !final {
		return
	}
	allOn(t, target)
	noneCordoned(t)
	if t.Failed() {
		if rec := runRecord(t); rec != nil {
			t.Logf("run record: %s %s, nodes %+v", rec.State, rec.Message, rec.Nodes)
		}
	}
	for _, p := range plans.Items {
		if v, _, _ := unstructured.NestedString(p.Object, "spec", "version"); p.GetName() != foreignPlan && !strings.HasPrefix(p.GetName(), "kubectl-skew-snapshot-") && v != target {
			t.Errorf("Plan %s (%s) is left after the run reached %s; only the last hop's Plans stay", p.GetName(), v, target)
		}
	}
	if rec := runRecord(t); rec != nil && rec.State == runrecord.StateRunning {
		t.Errorf("the run record says running after the run ended: %+v", rec)
	}
	if held, err := runrecord.Holder(context.Background(), env.sb.Client, runrecord.DefaultNamespace, time.Now()); err != nil || held != nil {
		t.Errorf("the run Lease is still held after the run ended: %v %v", held, err)
	}
}

// nodeFacts is each node's version, cordon and readiness.
type nodeFact struct {
	version         string
	cordoned, ready bool
	rv              string
}

func nodeFacts(t *testing.T) map[string]nodeFact {
	t.Helper()
	l, err := env.sb.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]nodeFact{}
	for _, n := range l.Items {
		f := nodeFact{version: n.Status.NodeInfo.KubeletVersion, cordoned: n.Spec.Unschedulable, rv: n.ResourceVersion}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				f.ready = c.Status == corev1.ConditionTrue
			}
		}
		out[n.Name] = f
	}
	return out
}

// checkStatusTells: `kubectl skew status -o json` agrees with the cluster, read just
// before and just after it (a node may move in between: either reading is the truth).
func checkStatusTells(t *testing.T, sc *faultScenario) {
	t.Helper()
	if sc.rancherCluster != "" {
		checkRancherStatusTells(t, sc.rancherCluster)
		return
	}
	before := nodeFacts(t)
	st := skew(t, "status", "-o", "json")
	after := nodeFacts(t)
	if st.code != 0 && st.code != 3 {
		t.Errorf("status: %s", st)
		return
	}
	var rep report.StatusReport
	if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil {
		t.Errorf("status -o json: %v\n%s", err, st)
		return
	}
	for _, n := range rep.Nodes {
		b, a := before[n.Name], after[n.Name]
		if n.Version != b.version && n.Version != a.version {
			t.Errorf("status says %s runs %s; the cluster says %s", n.Name, n.Version, a.version)
		}
		// A node written while status ran may have been cordoned and uncordoned in
		// between the two readings (SUC's drain is quick here): judged on the others.
		if n.Cordoned != b.cordoned && n.Cordoned != a.cordoned && b.rv == a.rv {
			t.Errorf("status says %s cordoned=%v; the cluster says %v", n.Name, n.Cordoned, a.cordoned)
		}
		if n.State == report.NodeDone && n.Version != rep.Summary.HopVersion && rep.Summary.HopVersion != "" && n.Version != sc.target {
			t.Errorf("status says %s is done with hop %s but it runs %s", n.Name, rep.Summary.HopVersion, n.Version)
		}
	}
	if rep.Summary.State == report.StateComplete {
		for name, f := range before {
			if f.version != sc.target && after[name].version != sc.target {
				t.Errorf("status says complete, but %s runs %s, not %s", name, after[name].version, sc.target)
			}
		}
	}
}

// checkRancherStatusTells: status of an imported cluster reports the Cluster's spec
// and applied versions as they are.
func checkRancherStatusTells(t *testing.T, name string) {
	t.Helper()
	b := importedState(t, name)
	st := skew(t, "status", "--rancher-cluster", name, "-o", "json")
	a := importedState(t, name)
	var rs report.RancherStatus
	if err := json.Unmarshal([]byte(st.stdout), &rs); err != nil {
		t.Errorf("status --rancher-cluster -o json: %v\n%s", err, st)
		return
	}
	if rs.KubernetesVersion != b.Cluster.Version && rs.KubernetesVersion != a.Cluster.Version {
		t.Errorf("status says spec %s; the Cluster says %s", rs.KubernetesVersion, a.Cluster.Version)
	}
	if rs.AppliedVersion != b.Cluster.StatusVersion && rs.AppliedVersion != a.Cluster.StatusVersion {
		t.Errorf("status says applied %s; the Cluster says %s", rs.AppliedVersion, a.Cluster.StatusVersion)
	}
}

// checkAborted: after abort nothing of ours is in progress: no Plan of ours marked
// aborting, no node cordoned by us, the run record not running (node drivers); the
// abort mark set and nothing else (Rancher, where abort stops before the next hop).
func checkAborted(t *testing.T, sc *faultScenario) {
	t.Helper()
	if sc.rancherCluster != "" {
		s := importedState(t, sc.rancherCluster)
		if s.Cluster.Annotations[rancher.AnnotationAbort] == "" {
			t.Errorf("abort left no abort mark on %s", sc.rancherCluster)
		}
		return
	}
	plans, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans.Items {
		if abortingPlan(t, p) {
			t.Errorf("after abort, Plan %s is still marked aborting", p.GetName())
		}
	}
	if sc.driver == "suc" {
		noneCordoned(t)
	}
}

// abortingPlan reports whether abort marked the Plan.
func abortingPlan(t *testing.T, u unstructured.Unstructured) bool {
	t.Helper()
	var p upgradev1.Plan
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &p); err != nil {
		t.Fatalf("Plan %s: %v", u.GetName(), err)
	}
	return suc.AbortingSince(&p) != ""
}
