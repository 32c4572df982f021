// Package nodesim plays the nodes' part in a system-upgrade-controller upgrade on a
// cluster that has no kubelets. It watches SUC's Jobs and plays each one in the order
// the real k3s-upgrade and rke2-upgrade images produce (docs/domain.md): the Job
// replaces the binary and ends; then the node restarts (NotReady for RestartDelay),
// its kubelet comes back reporting the Plan's version, and its static control-plane
// and kube-proxy pods move to the new image PodLag later. An agent Job (one with
// SUC's prepare step) waits exactly as the images' prepare does. A node can be told
// to fail its Job, to come back NotReady, or never to come back. An install
// requested by annotation (install.go, what test/cmd/nodesim-install does for the
// command driver) restarts the node the same way, without a Job. Every step is
// logged as one JSON line, so tests can assert the order of events.
package nodesim

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
)

// Labels and annotations SUC puts on its Jobs (pkg/apis/upgrade.cattle.io constants).
const (
	LabelController = "upgrade.cattle.io/controller"
	LabelNode       = "upgrade.cattle.io/node"
	LabelPlan       = "upgrade.cattle.io/plan"
	LabelVersion    = "upgrade.cattle.io/version"
	// AnnotationFail on a Node makes its next Job fail with the annotation's value as
	// the message: `kubectl annotate node agent-3 nodesim.kubectl-skew.io/fail="disk full"`.
	AnnotationFail = "nodesim.kubectl-skew.io/fail"
	// AnnotationComeBack on a Node changes how it comes back from its restart:
	// "notready" (on the new version, but NotReady) or "never" (it stays down).
	AnnotationComeBack = "nodesim.kubectl-skew.io/come-back"
	// AnnotationHang on a Node makes its upgrade container run forever (a hung
	// download, say): the Job's activeDeadlineSeconds, enforced by the real Job
	// controller, is what ends it.
	AnnotationHang = "nodesim.kubectl-skew.io/hang"
)

// Options configure the simulator.
type Options struct {
	// Namespace is SUC's (default system-upgrade): it only makes Jobs there.
	Namespace string
	// Delay is how long a node takes to upgrade once its Job may run (default 1s).
	Delay time.Duration
	// Poll is how often a waiting prepare step re-checks the server Plan (default 250ms).
	Poll time.Duration
	// RestartDelay is how long a node is down after its Job ended (default 1s).
	RestartDelay time.Duration
	// PodLag is how long after its kubelet a node's static and kube-proxy pods show
	// the new image (default 1s).
	PodLag time.Duration
	// LogPath receives one JSON Event per line; "" keeps events in memory only.
	LogPath string
	// LeaseInterval is how often each node's Lease is renewed (default 5s; large
	// clusters are renewed as fast as maxLeaseRate allows).
	LeaseInterval time.Duration
}

// Simulator is the running node simulator.
type Simulator struct {
	kube kubernetes.Interface
	dyn  dynamic.Interface
	opts Options
	log  *eventLog

	mu      sync.Mutex
	delay   time.Duration
	fail    map[string]string
	handled map[string]bool // Job UIDs a goroutine owns or has finished
	// binaries is the version of the binary the last successful Job put on each
	// node, by name; Reset (a new scenario) forgets them.
	binaries map[string]string
	leases   leases
	wg       sync.WaitGroup
	done     chan struct{}
}

// New builds a simulator from an admin rest.Config.
func New(cfg *rest.Config, opts Options) (*Simulator, error) {
	if opts.Namespace == "" {
		opts.Namespace = "system-upgrade"
	}
	if opts.Delay <= 0 {
		opts.Delay = time.Second
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.RestartDelay <= 0 {
		opts.RestartDelay = time.Second
	}
	if opts.PodLag <= 0 {
		opts.PodLag = time.Second
	}
	if opts.LeaseInterval <= 0 {
		opts.LeaseInterval = 5 * time.Second
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "kubectl-skew-nodesim"
	// A kubelet outlives an apiserver restart: it retries until the apiserver is back.
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return patient{rt} })
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("nodesim: %w", err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("nodesim: %w", err)
	}
	log, err := openEventLog(opts.LogPath)
	if err != nil {
		return nil, err
	}
	return &Simulator{
		kube: kube, dyn: dyn, opts: opts, log: log, delay: opts.Delay,
		fail: map[string]string{}, handled: map[string]bool{}, binaries: map[string]string{}, done: make(chan struct{}),
		leases: leases{down: map[string]bool{}, written: map[string]*coordinationv1.Lease{}},
	}, nil
}

// Start watches pods and nodes until ctx ends; it returns once the caches have synced.
func (s *Simulator) Start(ctx context.Context) error {
	factory := informers.NewSharedInformerFactory(s.kube, 0)
	pods := factory.Core().V1().Pods().Informer()
	if _, err := pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.considerPod(ctx, obj) },
		UpdateFunc: func(_, obj any) { s.considerPod(ctx, obj) },
	}); err != nil {
		return fmt.Errorf("nodesim: watch pods: %w", err)
	}
	// Nodes carry the install (install.go), restore and reinstall (snapshot.go) annotations.
	nodes := factory.Core().V1().Nodes().Informer()
	if _, err := nodes.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { s.considerNode(ctx, obj) },
		UpdateFunc: func(_, obj any) { s.considerNode(ctx, obj) },
	}); err != nil {
		return fmt.Errorf("nodesim: watch nodes: %w", err)
	}
	factory.Start(ctx.Done())
	synced := make(chan bool, 1)
	go func() { synced <- cache.WaitForCacheSync(ctx.Done(), pods.HasSynced, nodes.HasSynced) }()
	select {
	case ok := <-synced:
		if !ok {
			return fmt.Errorf("nodesim: pod and node watches did not sync")
		}
	case <-time.After(30 * time.Second):
		return fmt.Errorf("nodesim: pod and node watches did not sync in 30s")
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.renewLeases(ctx, nodes.GetStore())
	}()
	s.log.emit(Event{Event: EventStarted, Message: "playing the kubelets, and the upgrade images of SUC's Jobs in " + s.opts.Namespace})
	go func() {
		<-ctx.Done()
		factory.Shutdown()
		s.wg.Wait()
		s.log.close()
		close(s.done)
	}()
	return nil
}

// Wait blocks until the simulator has stopped (its context ended).
func (s *Simulator) Wait() { <-s.done }

// Fail makes the next Job on node fail with message (until Clear or Reset).
func (s *Simulator) Fail(node, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail[node] = message
}

// Clear lets node's Jobs succeed again.
func (s *Simulator) Clear(node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.fail, node)
}

// SetDelay changes how long the next upgrades take.
func (s *Simulator) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d > 0 {
		s.delay = d
	}
}

// Reset forgets failures and restores the configured delay (a new scenario).
func (s *Simulator) Reset() {
	s.mu.Lock()
	s.fail = map[string]string{}
	s.delay = s.opts.Delay
	// A scenario seeds its nodes' versions, often onto the same Node objects: what
	// an earlier Job put on them is gone.
	s.binaries = map[string]string{}
	for k := range s.handled {
		if strings.HasPrefix(k, "restore/") {
			delete(s.handled, k) // a new scenario may play a restore again
		}
	}
	s.mu.Unlock()
	// A new scenario's nodes are new and up, whatever a node of the same name did
	// before: one that never came back would otherwise never renew its Lease again.
	s.leases.mu.Lock()
	s.leases.down = map[string]bool{}
	s.leases.mu.Unlock()
}

// Events returns every event logged so far.
func (s *Simulator) Events() []Event { return s.log.events() }
