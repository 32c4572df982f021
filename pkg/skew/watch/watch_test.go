package watch

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// started runs a Watcher over a fake clientset seeded with nodes and returns it with
// the channel of its changes, once it is ready.
func started(t *testing.T, cs *fake.Clientset) (*Watcher, <-chan Change) {
	t.Helper()
	changes := make(chan Change, 16)
	w := New(Config{Kube: cs, Debounce: 5 * time.Millisecond, OnChange: func(c Change) { changes <- c }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for !w.Ready() {
		if time.Now().After(deadline) {
			t.Fatal("watcher not ready within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return w, changes
}

func fakeWith(t *testing.T, specs ...string) *fake.Clientset {
	var objs []runtime.Object
	for _, n := range testworld.Nodes(t, specs...) {
		objs = append(objs, &n)
	}
	return fake.NewClientset(objs...)
}

func next(t *testing.T, changes <-chan Change) Change {
	t.Helper()
	select {
	case c := <-changes:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no change within 5s")
	}
	return Change{}
}

func ids(fs []policy.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID+" "+f.Subject)
	}
	return strings.Join(out, ",")
}

func TestWatchFollowsNodes(t *testing.T) {
	cs := fakeWith(t, "server s1 v1.32.9+k3s1", "agent a1 v1.32.9+k3s1")
	w, changes := started(t, cs)
	if c := next(t, changes); len(c.Added) != 0 || c.State.Nodes != 2 {
		t.Fatalf("first evaluation: added %s, %d nodes", ids(c.Added), c.State.Nodes)
	}
	ctx := context.Background()

	old := testworld.Nodes(t, "agent old v1.28.15+k3s1")[0]
	if _, err := cs.CoreV1().Nodes().Create(ctx, &old, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c := next(t, changes)
	if got := ids(c.Added); got != "SKEW102 node/old" || len(c.Removed) != 0 {
		t.Fatalf("old node joined: added %q removed %q", got, ids(c.Removed))
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(w))
	want := `
# HELP kubectl_skew_findings Skew findings by ID, severity and subject (1 per finding), as kubectl skew check reports them.
# TYPE kubectl_skew_findings gauge
kubectl_skew_findings{id="SKEW102",severity="error",subject="node/old"} 1
# HELP kubectl_skew_worst_severity Worst severity among the findings: 0 none, 1 info, 2 warning, 3 error.
# TYPE kubectl_skew_worst_severity gauge
kubectl_skew_worst_severity 3
# HELP kubectl_skew_kubelet_oldest_minor Minor version of the oldest kubelet.
# TYPE kubectl_skew_kubelet_oldest_minor gauge
kubectl_skew_kubelet_oldest_minor 28
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), MetricFindings, MetricWorstSeverity, MetricKubeletOldest); err != nil {
		t.Error(err)
	}

	// A heartbeat changes nothing the cache keeps: no evaluation, no change.
	hb := old.DeepCopy()
	hb.Status.Conditions[0].LastHeartbeatTime = metav1.Now()
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, hb, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-changes:
		t.Fatalf("a heartbeat changed the findings: %+v", c)
	case <-time.After(100 * time.Millisecond):
	}

	if err := cs.CoreV1().Nodes().Delete(ctx, "old", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	c = next(t, changes)
	if got := ids(c.Removed); got != "SKEW102 node/old" || len(c.Added) != 0 {
		t.Fatalf("old node left: removed %q added %q", got, ids(c.Added))
	}
	if n := testutil.CollectAndCount(NewCollector(w), MetricFindings); n != 0 {
		t.Errorf("%d findings series after the node left, want none", n)
	}
}

func TestWatchFailsWhenForbidden(t *testing.T) {
	for _, verb := range []string{"list", "watch"} {
		t.Run(verb, func(t *testing.T) {
			cs := fakeWith(t, "server s1 v1.32.9+k3s1")
			cs.PrependReactor(verb, "nodes", func(clienttesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New("RBAC says no"))
			})
			cs.PrependWatchReactor("nodes", func(clienttesting.Action) (bool, watch.Interface, error) {
				if verb != "watch" {
					return false, nil, nil
				}
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New("RBAC says no"))
			})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := New(Config{Kube: cs}).Run(ctx)
			var se *SyncError
			if !errors.As(err, &se) || se.What != "watch nodes" || !apierrors.IsForbidden(err) {
				t.Fatalf("Run = %v, want a forbidden SyncError for nodes", err)
			}
		})
	}
}

func TestEvaluateTargetFindings(t *testing.T) {
	inv := testworld.Inventory(t, "server s1 v1.32.9+k3s1", "agent a1 v1.30.14+k3s1", "agent a2 v1.29.15+k3s1")
	s := Evaluate(inv, testworld.Target(t, "v1.33"), time.Unix(100, 0))
	if got := ids(s.Findings); got != "SKEW103 node/a2" {
		t.Errorf("findings %q", got)
	}
	// At v1.33, a2 (v1.29) would be four minors behind; a1 (v1.30) three, which is allowed.
	if got := ids(s.TargetFindings); got != "SKEW603 node/a2" {
		t.Errorf("target findings %q, want a2's SKEW603", got)
	}
	if s.Target != "v1.33" || s.APIServerMinors[1].Minor != 32 || s.KubeletMinor.Minor != 29 || s.Worst() != policy.Warning {
		t.Errorf("state %+v", s)
	}
}

func TestDiff(t *testing.T) {
	f := func(id, subj, msg string) policy.Finding {
		return policy.Finding{ID: id, Severity: policy.Error, Subject: subj, Message: msg}
	}
	a := &State{Findings: []policy.Finding{f("SKEW102", "node/x", "4 behind"), f("SKEW102", "node/y", "4 behind")}}
	b := &State{Findings: []policy.Finding{f("SKEW102", "node/x", "5 behind"), f("SKEW102", "node/y", "4 behind")}}
	if c, ok := diff(nil, a); !ok || len(c.Added) != 2 {
		t.Errorf("first evaluation: %v %+v", ok, c)
	}
	if _, ok := diff(a, a); ok {
		t.Error("same findings reported as a change")
	}
	c, ok := diff(a, b)
	if !ok || len(c.Added) != 1 || len(c.Removed) != 1 || c.Added[0].Message != "5 behind" {
		t.Errorf("changed message: %v %+v", ok, c)
	}
}

// TestCollectorMetrics: the series of one evaluation with a target, in base units.
func TestCollectorMetrics(t *testing.T) {
	w := New(Config{})
	if n := testutil.CollectAndCount(NewCollector(w)); n != 0 {
		t.Errorf("%d series before the first evaluation, want none", n)
	}
	inv := testworld.Inventory(t, "server s1 v1.32.9+k3s1", "agent a1 v1.29.15+k3s1")
	w.state.Store(Evaluate(inv, testworld.Target(t, "v1.33"), time.Unix(1700000000, 500000000)))
	want := `
# HELP kubectl_skew_apiserver_minor Minor version of the oldest and newest kube-apiserver (bound=oldest|newest).
# TYPE kubectl_skew_apiserver_minor gauge
kubectl_skew_apiserver_minor{bound="newest"} 32
kubectl_skew_apiserver_minor{bound="oldest"} 32
# HELP kubectl_skew_findings_by_severity Number of skew findings of each severity.
# TYPE kubectl_skew_findings_by_severity gauge
kubectl_skew_findings_by_severity{severity="error"} 0
kubectl_skew_findings_by_severity{severity="info"} 0
kubectl_skew_findings_by_severity{severity="warning"} 1
# HELP kubectl_skew_last_evaluation_timestamp_seconds Unix time of the last evaluation of the policy, in seconds.
# TYPE kubectl_skew_last_evaluation_timestamp_seconds gauge
kubectl_skew_last_evaluation_timestamp_seconds 1.7000000005e+09
# HELP kubectl_skew_nodes Number of nodes evaluated.
# TYPE kubectl_skew_nodes gauge
kubectl_skew_nodes 2
# HELP kubectl_skew_target_findings Findings a control plane at --target would add, by target, ID, severity and subject (1 per finding).
# TYPE kubectl_skew_target_findings gauge
kubectl_skew_target_findings{id="SKEW603",severity="error",subject="node/a1",target="v1.33"} 1
# HELP kubectl_skew_worst_severity Worst severity among the findings: 0 none, 1 info, 2 warning, 3 error.
# TYPE kubectl_skew_worst_severity gauge
kubectl_skew_worst_severity 2
`
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewCollector(w))
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), MetricAPIServerMinor, MetricFindingsSeverity,
		MetricLastEvaluation, MetricNodes, MetricTargetFindings, MetricWorstSeverity); err != nil {
		t.Error(err)
	}
}

// TestProbeWatchesFromTheCache: the probe's watches ask for resourceVersion "0", which
// the apiserver's watch cache answers at once. Without one, the apiserver first waits
// until its cache is as new as etcd: up to 3 s a watch on an etcd that cannot say so.
func TestProbeWatchesFromTheCache(t *testing.T) {
	cs := fakeWith(t, "server s1 v1.32.9+k3s1")
	var mu sync.Mutex
	probed := map[string]string{}
	cs.PrependWatchReactor("*", func(a clienttesting.Action) (bool, watch.Interface, error) {
		wa := a.(clienttesting.WatchActionImpl)
		if v, ok := wa.WatchRestrictions.Fields.RequiresExactMatch("metadata.name"); ok && v == probeName {
			mu.Lock()
			probed[a.GetResource().Resource+" "+a.GetNamespace()] = wa.WatchRestrictions.ResourceVersion
			mu.Unlock()
		}
		return false, nil, nil
	})
	if err := probeWatch(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"nodes ": "0", "pods kube-system": "0"}
	if !reflect.DeepEqual(probed, want) {
		t.Errorf("probe watches (resource namespace: resourceVersion) %v, want %v", probed, want)
	}
}
