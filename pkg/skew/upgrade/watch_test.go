package upgrade

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// followRig is a watchSet over fake clients with one server Plan for two nodes.
type followRig struct {
	kube   *fake.Clientset
	dyn    *dynamicfake.FakeDynamicClient
	w      *watchSet
	spec   phaseSpec
	mu     sync.Mutex
	events []NodeEvent
	done   chan error
}

func newFollowRig(t *testing.T, stall time.Duration) *followRig {
	t.Helper()
	from, to := version.MustParse("v1.30.14+k3s1"), version.MustParse("v1.31.13+k3s1")
	var objs []runtime.Object
	var steps []upgradepath.NodeStep
	for _, n := range []string{"s-1", "s-2"} {
		node := nodeObj(n, from.String(), true)
		objs = append(objs, &node)
		steps = append(steps, upgradepath.NodeStep{Name: n, Hostname: n, Role: "server", From: from})
	}
	kube := fake.NewSimpleClientset(objs...)
	p := suc.ServerPlan(version.K3s, upgradepath.Hop{To: to, From: from, Servers: steps}, suc.Record{Target: to}, suc.DefaultPlanConfig())
	u, err := suc.ToUnstructured(p)
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructuredSetStatus(u.Object, to.ImageTag(), "hash1")
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{suc.PlanResource: "PlanList"}, u)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	w, err := startWatcher(ctx, kube, dyn, suc.DefaultNamespace)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	r := &followRig{kube: kube, dyn: dyn, w: w, done: make(chan error, 1),
		spec: phaseSpec{Plan: p.Name, Role: suc.RoleServer, To: to, Nodes: steps, StallAfter: stall}}
	go func() {
		r.done <- w.Follow(ctx, r.spec, func(e NodeEvent) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.events = append(r.events, e)
		})
	}()
	return r
}

func unstructuredSetStatus(obj map[string]any, latest, hash string) error {
	obj["status"] = map[string]any{"latestVersion": latest, "latestHash": hash}
	return nil
}

func (r *followRig) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, fmt.Sprintf("%s %s %d/%d", e.Kind, e.Node, e.Done, e.Total))
	}
	return out
}

func (r *followRig) job(t *testing.T, node string, mutate func(*batchv1.Job)) {
	t.Helper()
	ctx := context.Background()
	name := "apply-" + r.spec.Plan + "-on-" + node
	jobs := r.kube.BatchV1().Jobs(suc.DefaultNamespace)
	j, err := jobs.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		j = &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: suc.DefaultNamespace, CreationTimestamp: metav1.Now(),
			Labels: map[string]string{suc.LabelJobPlan: r.spec.Plan, suc.LabelJobNode: node, suc.LabelJobVersion: r.spec.To.ImageTag()}},
			Spec: batchv1.JobSpec{Parallelism: ptr.To[int32](1)}}
		mutate(j)
		if _, err := jobs.Create(ctx, j, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		return
	}
	mutate(j)
	if _, err := jobs.Update(ctx, j, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (r *followRig) kubelet(t *testing.T, node, v string) {
	t.Helper()
	n, err := r.kube.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.NodeInfo.KubeletVersion = v
	if _, err := r.kube.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func complete(j *batchv1.Job) {
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
}

// TestFollowReportsEachNode: a node starts when its Job runs and is done only when
// its kubelet reports the version and SUC finished its Job.
func TestFollowReportsEachNode(t *testing.T) {
	r := newFollowRig(t, time.Minute)
	r.job(t, "s-1", func(*batchv1.Job) {})
	eventually(t, "s-1 started", func() bool { return len(r.lines()) == 1 })
	r.kubelet(t, "s-1", "v1.31.13+k3s1")
	time.Sleep(50 * time.Millisecond)
	if got := r.lines(); len(got) != 1 {
		t.Fatalf("s-1 done before its Job: %v", got)
	}
	r.job(t, "s-1", complete)
	eventually(t, "s-1 finished", func() bool { return len(r.lines()) == 2 })
	// s-2 finishes between two looks: started and finished are both reported, in order.
	r.kubelet(t, "s-2", "v1.31.13+k3s1")
	r.job(t, "s-2", complete)
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not return")
	}
	want := []string{"started s-1 0/2", "finished s-1 1/2", "started s-2 1/2", "finished s-2 2/2"}
	if got := r.lines(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

func TestFollowStopsOnAFailedJob(t *testing.T) {
	r := newFollowRig(t, time.Minute)
	r.job(t, "s-2", func(j *batchv1.Job) {
		j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "disk full"}}
	})
	select {
	case err := <-r.done:
		var jf *JobFailedError
		if !errors.As(err, &jf) || jf.Node != "s-2" || jf.Message != "BackoffLimitExceeded: disk full" || jf.Job != "apply-"+r.spec.Plan+"-on-s-2" {
			t.Fatalf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow did not return")
	}
}

// TestFollowCallsAStallAStall: SUC reports the Plan complete while the nodes never
// moved (their hostname label is missing, say), or lists a node as applying but
// keeps no Job for it: Follow says so instead of hanging.
func TestFollowCallsAStallAStall(t *testing.T) {
	for name, status := range map[string]map[string]any{
		"complete": {"latestVersion": "v1.31.13-k3s1", "latestHash": "h",
			"conditions": []any{map[string]any{"type": "Complete", "status": "True"}}},
		"orphan": {"latestVersion": "v1.31.13-k3s1", "latestHash": "h", "applying": []any{"s-1"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := newFollowRig(t, 200*time.Millisecond)
			ctx := context.Background()
			c := r.dyn.Resource(suc.PlanResource).Namespace(suc.DefaultNamespace)
			u, err := c.Get(ctx, r.spec.Plan, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			u.Object["status"] = status
			if _, err := c.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-r.done:
				if !errors.Is(err, ErrStalled) {
					t.Fatalf("err = %v", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Follow hung on a stalled Plan")
			}
		})
	}
}

func TestFollowEndsWithTheContext(t *testing.T) {
	from, to := version.MustParse("v1.30.14+k3s1"), version.MustParse("v1.31.13+k3s1")
	node := nodeObj("s-1", from.String(), true)
	kube := fake.NewSimpleClientset(&node)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{suc.PlanResource: "PlanList"})
	ctx, cancel := context.WithCancel(context.Background())
	w, err := startWatcher(ctx, kube, dyn, suc.DefaultNamespace)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	done := make(chan error, 1)
	go func() {
		done <- w.Follow(ctx, phaseSpec{Plan: "p", To: to, Nodes: []upgradepath.NodeStep{{Name: "s-1", From: from}}}, func(NodeEvent) {})
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Follow ignored the cancelled context")
	}
}
