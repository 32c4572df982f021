package upgrade

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// View is a run's picture of the cluster, kept current by watches started once for
// the run: the nodes, the kube-system pods (static control-plane and kube-proxy
// pods) and the servers' node Leases. Read builds the same Cluster as ReadCluster
// from the caches, without a request; Changed wakes whoever waits for the cluster
// to change. The gates and the verification of every driver that holds a View are
// pure functions over it: an idle run costs the apiserver nothing but its watches.
type View struct {
	nodes, pods, leases cache.SharedIndexInformer
	// skipped is what the caches cannot hold (kube-system pods that may not be
	// listed), said the way cluster.ReadObjects says it.
	skipped []cluster.Skipped
	// servers are the nodes whose Lease renewals wake a waiter: only a server's
	// heartbeat is a gate.
	servers map[string]bool
	kube    kubernetes.Interface
	mu      sync.Mutex
	version string
	sig     *signal
	stop    context.CancelFunc
	once    sync.Once
}

// viewSyncTimeout bounds the initial list of every watch.
const viewSyncTimeout = 60 * time.Second

// StartView starts the watches and waits until their caches are filled. servers
// name the nodes whose Leases count as heartbeats. The client must not carry a
// request timeout: it would end every watch early. Kube-system pods or node Leases
// that may not be listed are left out, as ReadCluster leaves them out.
func StartView(ctx context.Context, kube kubernetes.Interface, servers []string) (*View, error) {
	v := &View{kube: kube, servers: map[string]bool{}, sig: newSignal()}
	for _, s := range servers {
		v.servers[s] = true
	}
	wctx, cancel := context.WithCancel(ctx)
	v.stop = cancel
	all := informers.NewSharedInformerFactory(kube, 0)
	v.nodes = all.Core().V1().Nodes().Informer()
	infs := []cache.SharedIndexInformer{v.nodes}
	if err := mayFollow(ctx, kube.CoreV1().Pods(metav1.NamespaceSystem)); refused(err) {
		v.skipped = append(v.skipped, cluster.Skipped{What: "kube-system pods (static control-plane pods, kube-proxy)", Reason: skipReason(err)})
	} else {
		sys := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(metav1.NamespaceSystem))
		v.pods = sys.Core().V1().Pods().Informer()
		infs = append(infs, v.pods)
		sys.Start(wctx.Done())
	}
	if err := mayFollow(ctx, kube.CoordinationV1().Leases(corev1.NamespaceNodeLease)); !refused(err) {
		ls := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(corev1.NamespaceNodeLease))
		v.leases = ls.Coordination().V1().Leases().Informer()
		ls.Start(wctx.Done())
	}
	if sv, err := kube.Discovery().ServerVersion(); err == nil {
		v.version = sv.GitVersion
	}
	for _, inf := range infs {
		if err := v.Watch(inf); err != nil {
			cancel()
			return nil, err
		}
	}
	if v.leases != nil {
		_, err := v.leases.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { v.leaseChanged(obj) },
			UpdateFunc: func(_, obj any) { v.leaseChanged(obj) },
		})
		if err != nil {
			cancel()
			return nil, fmt.Errorf("watch node leases: %w", err)
		}
		infs = append(infs, v.leases)
	}
	all.Start(wctx.Done())
	if err := waitSynced(ctx, wctx, infs...); err != nil {
		cancel()
		return nil, err
	}
	return v, nil
}

// Watch makes every change of inf wake the View's waiters; inf must be started by
// the caller, and stops with the View's context.
func (v *View) Watch(inf cache.SharedIndexInformer) error {
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { v.sig.fire() },
		UpdateFunc: func(any, any) { v.sig.fire() },
		DeleteFunc: func(any) { v.sig.fire() },
	})
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	return nil
}

func (v *View) leaseChanged(obj any) {
	if l, ok := obj.(*coordinationv1.Lease); ok && v.servers[l.Name] {
		v.sig.fire()
	}
}

// waitSynced waits for the caches' first list, for at most viewSyncTimeout.
func waitSynced(ctx, wctx context.Context, infs ...cache.SharedIndexInformer) error {
	sctx, scancel := context.WithTimeout(wctx, viewSyncTimeout)
	defer scancel()
	synced := make([]cache.InformerSynced, len(infs))
	for i, inf := range infs {
		synced[i] = inf.HasSynced
	}
	if !cache.WaitForCacheSync(sctx.Done(), synced...) {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("watch the cluster: the caches did not fill within %s", viewSyncTimeout)
	}
	return nil
}

// listWatcher is what an informer needs of a resource.
type listWatcher[L any] interface {
	List(ctx context.Context, opts metav1.ListOptions) (L, error)
	Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
}

// mayFollow tells whether an informer can follow the resource: both its list and its
// watch are allowed. A watch that is not would leave the cache stale for good while
// the informer retries; the watch is asked from resourceVersion 0 for a name no
// object has, which the apiserver's cache answers at once with nothing.
func mayFollow[L any](ctx context.Context, r listWatcher[L]) error {
	if _, err := r.List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return err
	}
	w, err := r.Watch(ctx, metav1.ListOptions{ResourceVersion: "0", FieldSelector: "metadata.name=kubectl-skew-no-such-object"})
	if err != nil {
		return err
	}
	w.Stop()
	return nil
}

// refused is an answer of the apiserver that holds for the whole run: not allowed,
// or not served. Anything else (the apiserver restarting under the run, a dropped
// connection) passes: the informer's own list and watch retry until it is back, and
// the View waits for them (viewSyncTimeout). Left out for a passing failure, a
// watch would be missing for the whole run: without the node Leases a server whose
// Job the Job controller dated after its kubelet's last status write would never
// count as back.
func refused(err error) bool {
	return err != nil && (apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err))
}

func skipReason(err error) string {
	if apierrors.IsForbidden(err) {
		return "forbidden: " + err.Error()
	}
	return err.Error()
}

// Stop ends the watches.
func (v *View) Stop() { v.once.Do(v.stop) }

// Changed is closed at the next change of anything the View watches. Take it
// before reading, then wait on it: a change after the read is never missed.
func (v *View) Changed() <-chan struct{} { return v.sig.wait() }

// Read is the cluster as the caches hold it now: ReadCluster's answer, built the
// same way (cluster.Build), at no request.
func (v *View) Read(context.Context) (*Cluster, error) {
	obj := cluster.Objects{ServerVersion: v.serverVersion(), Skipped: append([]cluster.Skipped(nil), v.skipped...)}
	for _, o := range v.nodes.GetStore().List() {
		if n, ok := o.(*corev1.Node); ok {
			obj.Nodes = append(obj.Nodes, *n)
		}
	}
	sort.Slice(obj.Nodes, func(i, j int) bool { return obj.Nodes[i].Name < obj.Nodes[j].Name })
	if v.pods != nil {
		obj.Pods = []corev1.Pod{}
		for _, o := range v.pods.GetStore().List() {
			if p, ok := o.(*corev1.Pod); ok {
				obj.Pods = append(obj.Pods, *p)
			}
		}
		sort.Slice(obj.Pods, func(i, j int) bool { return obj.Pods[i].Name < obj.Pods[j].Name })
	}
	return &Cluster{Nodes: obj.Nodes, Inventory: cluster.Build(obj)}, nil
}

// Leases are the renewal times of the servers' node Leases, from the cache:
// ServerLeases without a request.
func (v *View) Leases(inv *cluster.Inventory) map[string]time.Time {
	out := map[string]time.Time{}
	if v.leases == nil {
		return out
	}
	for _, n := range inv.Servers() {
		o, ok, err := v.leases.GetStore().GetByKey(corev1.NamespaceNodeLease + "/" + n.Name)
		if err != nil || !ok {
			continue
		}
		if l, ok := o.(*coordinationv1.Lease); ok && l.Spec.RenewTime != nil {
			out[n.Name] = l.Spec.RenewTime.Time
		}
	}
	return out
}

// RefreshVersion reads /version again: the apiserver's own version moves when its
// server is upgraded, and no watch says so. One request; a failure keeps the last.
func (v *View) RefreshVersion() {
	if sv, err := v.kube.Discovery().ServerVersion(); err == nil {
		v.mu.Lock()
		v.version = sv.GitVersion
		v.mu.Unlock()
	}
}

func (v *View) serverVersion() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.version
}

// signal wakes every waiter at once: each change closes the current channel and
// opens the next, so any number of waiters hear it and a burst of changes costs a
// waiter one wake-up.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	close(s.ch)
	s.ch = make(chan struct{})
	s.mu.Unlock()
}
