package upgrade

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// watchSet follows Nodes, SUC's Jobs and Plans (and, through its View, the
// kube-system pods and the servers' Leases) through watches started once for the
// run, and wakes a follower whenever one of them changes. It never polls the API:
// the periodic wake-up only re-reads its own caches, for elapsed-time decisions.
type watchSet struct {
	*View
	jobs, plans cache.SharedIndexInformer
	namespace   string
}

// startWatcher starts the watches and waits until their caches are filled. The
// clients must not carry a request timeout: it would end every watch early.
// servers name the nodes whose Lease renewals count as heartbeats.
func startWatcher(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, namespace string, servers ...string) (*watchSet, error) {
	v, err := StartView(ctx, kube, servers)
	if err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	stopView := v.stop
	v.stop = func() { cancel(); stopView() }
	w := &watchSet{View: v, namespace: namespace}
	inNS := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(namespace))
	dynf := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, namespace, nil)
	w.jobs = inNS.Batch().V1().Jobs().Informer()
	w.plans = dynf.ForResource(suc.PlanResource).Informer()
	for _, inf := range []cache.SharedIndexInformer{w.jobs, w.plans} {
		if err := v.Watch(inf); err != nil {
			w.Stop()
			return nil, err
		}
	}
	inNS.Start(wctx.Done())
	dynf.Start(wctx.Done())
	if err := waitSynced(ctx, wctx, w.jobs, w.plans); err != nil {
		w.Stop()
		return nil, fmt.Errorf("watch jobs and plans: %w", err)
	}
	return w, nil
}

// ours are our Plans as the cache holds them, by name: suc.Client.Ours without a
// request.
func (w *watchSet) ours() ([]upgradev1.Plan, error) {
	var out []upgradev1.Plan
	for _, o := range w.plans.GetStore().List() {
		u, ok := o.(*unstructured.Unstructured)
		if !ok || !suc.IsOurs(u.GetLabels()) {
			continue
		}
		p, err := suc.FromUnstructured(u)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ownedJobs are the Jobs of our Plans as the cache holds them.
func (w *watchSet) ownedJobs() []batchv1.Job {
	var out []batchv1.Job
	for _, o := range w.jobs.GetStore().List() {
		if j, ok := o.(*batchv1.Job); ok && suc.IsOurs(j.Labels) {
			out = append(out, *j)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NodeEventKind says what happened to a node.
type NodeEventKind string

const (
	NodeStarted  NodeEventKind = "started"
	NodeFinished NodeEventKind = "finished"
	NodeFailed   NodeEventKind = "failed"
	// NodeAlready is a node that was done before we started following.
	NodeAlready NodeEventKind = "already"
)

// NodeEvent is one node starting or finishing its upgrade.
type NodeEvent struct {
	Kind     NodeEventKind
	Node     string
	Role     string
	From, To string
	// Took is the time the node's Job ran, for NodeFinished.
	Took    time.Duration
	Job     string
	Message string
	// Done and Total count the phase's nodes.
	Done, Total int
}

// phaseSpec is one Plan to follow until its nodes are done.
type phaseSpec struct {
	Plan  string
	Role  string
	To    version.Version
	Nodes []upgradepath.NodeStep
	// ByJob: a node is done when its Job completes (the snapshot), not when its
	// kubelet reports To.
	ByJob bool
	// NodeTimeout bounds how long a node whose Job completed may take to report the
	// phase's version (it restarts after its Job): past it the run stops, naming it.
	NodeTimeout time.Duration
	// StallAfter is how long the controller may call the Plan complete while a node
	// still runs another version before we call it stuck (default 60s: a kubelet
	// reports its new version a little after the Job ends).
	StallAfter time.Duration
}

// JobFailedError is an upgrade Job that failed: the hop stops there.
type JobFailedError struct {
	Plan, Job, Node, Message string
	// Blocker names what stopped the Job's drain, when its message tells it.
	Blocker string
}

func (e *JobFailedError) Error() string {
	if e.Blocker != "" {
		return fmt.Sprintf("the upgrade Job %s of Plan %s failed on node %s: its drain was blocked: %s", e.Job, e.Plan, e.Node, e.Blocker)
	}
	return fmt.Sprintf("the upgrade Job %s of Plan %s failed on node %s: %s", e.Job, e.Plan, e.Node, e.Message)
}

// ErrAborted stops a run whose Plan someone deleted (kubectl skew abort): it
// applies nothing further.
var ErrAborted = errors.New("the upgrade was aborted")

// ErrStalled is an upgrade the controller will not finish: nothing moves any more.
var ErrStalled = errors.New("the upgrade is stuck")

type nodeProgress struct {
	started, finished bool
	startAt           time.Time
}

// Follow waits until every node of the phase is done, emitting one event per node
// start and finish. It returns a *JobFailedError on the first failed Job, ctx's
// error when ctx ends, and ErrStalled when the controller gave up silently.
func (w *watchSet) Follow(ctx context.Context, spec phaseSpec, emit func(NodeEvent)) error {
	if spec.StallAfter <= 0 {
		spec.StallAfter = 60 * time.Second
	}
	f := &follower{w: w, spec: spec, emit: emit, state: make(map[string]*nodeProgress, len(spec.Nodes)), munged: spec.To.ImageTag()}
	// The tick only re-reads the caches: a node's time-outs are elapsed time.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		changed := w.Changed()
		done, err := f.evaluate(time.Now())
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-tick.C:
		}
	}
}

// Settle waits until the controller has caught up with a finished Plan: nothing
// left in status.applying. The nodes are done before SUC clears the list, and a
// Plan still applying must not be deleted. It gives up quietly after limit.
func (w *watchSet) Settle(ctx context.Context, plan string, limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		changed := w.Changed()
		ps := planStatusOf(w.plans, w.namespace+"/"+plan)
		if !ps.found || len(ps.applying) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return nil
		case <-changed:
		}
	}
}
