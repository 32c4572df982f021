package upgrade

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// watchSet follows Nodes, SUC's Jobs and Plans through watches (informers) and
// wakes a follower whenever one of them changes. It never polls the API: the
// periodic wake-up only re-reads its own caches, for elapsed-time decisions.
type watchSet struct {
	nodes, jobs, plans cache.SharedIndexInformer
	namespace          string
	stop               context.CancelFunc
	wake               chan struct{}
	once               sync.Once
}

// watchSyncTimeout bounds the initial list of every watch.
const watchSyncTimeout = 60 * time.Second

// startWatcher starts the watches and waits until their caches are filled. The
// clients must not carry a request timeout: it would end every watch early.
func startWatcher(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, namespace string) (*watchSet, error) {
	wctx, cancel := context.WithCancel(ctx)
	w := &watchSet{namespace: namespace, stop: cancel, wake: make(chan struct{}, 1)}
	all := informers.NewSharedInformerFactory(kube, 0)
	inNS := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(namespace))
	dynf := dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, namespace, nil)
	w.nodes = all.Core().V1().Nodes().Informer()
	w.jobs = inNS.Batch().V1().Jobs().Informer()
	w.plans = dynf.ForResource(suc.PlanResource).Informer()
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { w.poke() },
		UpdateFunc: func(any, any) { w.poke() },
		DeleteFunc: func(any) { w.poke() },
	}
	for _, inf := range []cache.SharedIndexInformer{w.nodes, w.jobs, w.plans} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			cancel()
			return nil, fmt.Errorf("watch: %w", err)
		}
	}
	all.Start(wctx.Done())
	inNS.Start(wctx.Done())
	dynf.Start(wctx.Done())
	sctx, scancel := context.WithTimeout(wctx, watchSyncTimeout)
	defer scancel()
	if !cache.WaitForCacheSync(sctx.Done(), w.nodes.HasSynced, w.jobs.HasSynced, w.plans.HasSynced) {
		cancel()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("watch nodes, jobs and plans: the caches did not fill within %s", watchSyncTimeout)
	}
	return w, nil
}

// Stop ends the watches.
func (w *watchSet) Stop() { w.once.Do(w.stop) }

// poke coalesces wake-ups: a burst of events costs one evaluation.
func (w *watchSet) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
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
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		done, err := f.evaluate(time.Now())
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-w.wake:
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
		ps := planStatusOf(w.plans, w.namespace+"/"+plan)
		if !ps.found || len(ps.applying) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return nil
		case <-w.wake:
		}
	}
}
