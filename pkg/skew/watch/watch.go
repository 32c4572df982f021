// Package watch keeps a cluster's skew findings current: one shared informer on the
// nodes and one on the kube-system pods (what check reads), the policy re-evaluated
// whenever they change, and the result offered to a Prometheus collector and to a
// callback that hears each change of the findings. It never re-lists on a timer.
package watch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	listersv1 "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Defaults of Config.
const (
	// DefaultDebounce is how long the watch waits for quiet before it re-evaluates: a
	// rolling upgrade or a re-list changes many objects within milliseconds.
	DefaultDebounce = 100 * time.Millisecond
	// DefaultMaxDelay bounds the wait under constant change.
	DefaultMaxDelay = time.Second
)

// Config is what a Watcher needs.
type Config struct {
	Kube kubernetes.Interface
	// Target, when set, also reports the findings a control plane at Target would add.
	Target *version.Target
	// Debounce and MaxDelay tune re-evaluation (defaults DefaultDebounce, DefaultMaxDelay).
	Debounce, MaxDelay time.Duration
	// OnChange hears every evaluation whose findings differ from the one before,
	// the first one included. It runs on the watch's goroutine: keep it short.
	OnChange func(Change)
	// OnReady runs once, after the first evaluation (the command returns the initial
	// list's garbage to the OS there).
	OnReady func()
	// OnWatchError hears a dropped list or watch after the first sync (an apiserver
	// restart); the informers retry on their own. Nil ignores them.
	OnWatchError func(what string, err error)
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Watcher runs the informers and holds the latest State.
type Watcher struct {
	cfg    Config
	state  atomic.Pointer[State]
	ready  atomic.Bool
	poke   chan struct{}
	synced atomic.Bool
	// fatal carries the first list or watch error seen before the first sync.
	fatal     chan error
	fatalOnce sync.Once
	nodes     listersv1.NodeLister
	pods      listersv1.PodLister
	serverVer string
}

// New returns a Watcher; Run starts it.
func New(cfg Config) *Watcher {
	if cfg.Debounce <= 0 {
		cfg.Debounce = DefaultDebounce
	}
	if cfg.MaxDelay < cfg.Debounce {
		cfg.MaxDelay = max(DefaultMaxDelay, cfg.Debounce)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Watcher{cfg: cfg, poke: make(chan struct{}, 1), fatal: make(chan error, 1)}
}

// State returns the latest evaluation, nil before the first.
func (w *Watcher) State() *State { return w.state.Load() }

// Ready reports whether both caches have synced and the first evaluation is done.
func (w *Watcher) Ready() bool { return w.ready.Load() }

// SyncError is a list or watch that failed before the caches first synced: wrong
// credentials, RBAC that forbids it, an unreachable apiserver. Run gives up on it.
type SyncError struct {
	What string
	Err  error
}

func (e *SyncError) Error() string { return fmt.Sprintf("%s: %v", e.What, e.Err) }
func (e *SyncError) Unwrap() error { return e.Err }

// Run watches until ctx ends (then it returns nil) or the first sync fails.
func (w *Watcher) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// /version stands for the control plane only when nothing else names it (see
	// cluster.Build); it does not change without a restart, so it is read once, beside
	// the probe: each is a round trip, and neither needs the other.
	gitVersion := make(chan string, 1)
	go func() {
		v, err := w.cfg.Kube.Discovery().ServerVersion()
		if err != nil {
			gitVersion <- ""
			return
		}
		gitVersion <- v.GitVersion
	}()
	if err := probeWatch(ctx, w.cfg.Kube); err != nil {
		return err // the buffered channel lets the reader of /version end on its own
	}
	w.serverVer = <-gitVersion
	// Resync 0: the informers never re-list on a timer, only after a dropped watch.
	factory := informers.NewSharedInformerFactoryWithOptions(w.cfg.Kube, 0,
		informers.WithNamespace(metav1.NamespaceSystem), informers.WithTransform(slim))
	nodeInf := factory.Core().V1().Nodes()
	podInf := factory.Core().V1().Pods()
	w.nodes, w.pods = nodeInf.Lister(), podInf.Lister()
	for what, inf := range map[string]cache.SharedIndexInformer{
		"watch nodes":               nodeInf.Informer(),
		"watch pods in kube-system": podInf.Informer(),
	} {
		if err := inf.SetWatchErrorHandlerWithContext(w.watchError(what)); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if _, err := inf.AddEventHandler(w.handler()); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()

	// The informers' synced channels close the moment each cache holds its initial
	// list (cache.WaitForCacheSync would poll, and add up to 100 ms).
	for _, inf := range []cache.SharedIndexInformer{nodeInf.Informer(), podInf.Informer()} {
		select {
		case err := <-w.fatal:
			return err
		case <-ctx.Done():
			return nil
		case <-inf.HasSyncedChecker().Done():
		}
	}
	w.synced.Store(true)
	w.evaluate()
	w.ready.Store(true)
	if w.cfg.OnReady != nil {
		w.cfg.OnReady()
	}
	w.loop(ctx)
	return nil
}

// watchError fails Run on an error before the first sync and reports the ones after.
func (w *Watcher) watchError(what string) cache.WatchErrorHandlerWithContext {
	return func(_ context.Context, _ *cache.Reflector, err error) {
		if !w.synced.Load() {
			w.fatalOnce.Do(func() { w.fatal <- &SyncError{What: what, Err: err} })
			return
		}
		if w.cfg.OnWatchError != nil && !errors.Is(err, context.Canceled) {
			w.cfg.OnWatchError(what, err)
		}
	}
}

func (w *Watcher) handler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { w.changed() },
		UpdateFunc: func(old, obj any) {
			// The caches hold slim objects: an update that changes none of what Build
			// reads (a heartbeat, an image pulled) compares equal and costs nothing.
			if !sameObject(old, obj) {
				w.changed()
			}
		},
		DeleteFunc: func(any) { w.changed() },
	}
}

func (w *Watcher) changed() {
	select {
	case w.poke <- struct{}{}:
	default:
	}
}

// loop re-evaluates DefaultDebounce after the last change, and at least every
// MaxDelay while changes keep coming.
func (w *Watcher) loop(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var first time.Time
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-w.poke:
			now := time.Now()
			if first.IsZero() {
				first = now
			}
			wait := min(w.cfg.Debounce, w.cfg.MaxDelay-now.Sub(first))
			timer.Reset(max(wait, 0))
		case <-timer.C:
			first = time.Time{}
			w.evaluate()
		}
	}
}

// evaluate builds the inventory from the caches and applies the policy: the same
// pure Build and Evaluate as check.
func (w *Watcher) evaluate() {
	nodes, err := w.nodes.List(labels.Everything())
	if err != nil {
		return // a lister over a local cache does not fail
	}
	pods, err := w.pods.List(labels.Everything())
	if err != nil {
		return
	}
	obj := cluster.Objects{ServerVersion: w.serverVer, Nodes: make([]corev1.Node, len(nodes)), Pods: make([]corev1.Pod, len(pods))}
	for i, n := range nodes {
		obj.Nodes[i] = *n
	}
	for i, p := range pods {
		obj.Pods[i] = *p
	}
	next := Evaluate(cluster.Build(obj), w.cfg.Target, w.cfg.Now())
	prev := w.state.Swap(next)
	if c, ok := diff(prev, next); ok && w.cfg.OnChange != nil {
		w.cfg.OnChange(c)
	}
}
