package nodesim

import (
	"context"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/flowcontrol"
)

// AnnotationKubelet "stopped" on a Node stops its simulated kubelet: its Lease is no
// longer renewed, so the real node-lifecycle controller marks the node (Ready Unknown,
// the unreachable taints) after its grace period, as when a host hangs.
const AnnotationKubelet = "nodesim.kubectl-skew.io/kubelet"

const (
	// leaseNamespace holds one Lease per node, renewed by its kubelet.
	leaseNamespace = "kube-node-lease"
	// leaseDuration is what kubelets write (--node-lease-duration-seconds default).
	leaseDuration = 40
	// maxLeaseRate caps renewals per second, so 5,000 nodes cost the apiserver what a
	// modest real cluster does: every node is renewed at least every 12.5 s, well inside
	// the sandbox controller's grace period.
	maxLeaseRate = 400
	// renewTimeout bounds one renewal.
	renewTimeout = 10 * time.Second
)

// leases plays every kubelet's heartbeat: the node's Lease in kube-node-lease, renewed
// every LeaseInterval (or as fast as maxLeaseRate allows on large clusters), except for
// nodes that are down (restarting, or never coming back) or whose kubelet is stopped.
type leases struct {
	mu      sync.Mutex
	down    map[string]bool
	written map[string]*coordinationv1.Lease
}

func (s *Simulator) setDown(node string, down bool) {
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	if down {
		s.leases.down[node] = true
	} else {
		delete(s.leases.down, node)
	}
}

func (s *Simulator) isDown(node string) bool {
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	return s.leases.down[node]
}

// renewLeases runs until ctx ends.
func (s *Simulator) renewLeases(ctx context.Context, nodes cache.Store) {
	limiter := flowcontrol.NewTokenBucketRateLimiter(maxLeaseRate, maxLeaseRate/4)
	defer limiter.Stop()
	for {
		began := time.Now()
		work := make(chan *corev1.Node)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for n := range work {
					if err := limiter.Wait(ctx); err != nil {
						return
					}
					s.renewLease(ctx, n)
				}
			}()
		}
		for _, obj := range nodes.List() {
			n, ok := obj.(*corev1.Node)
			if !ok || n.Annotations[AnnotationKubelet] == "stopped" || s.isDown(n.Name) {
				continue
			}
			select {
			case work <- n:
			case <-ctx.Done():
			}
		}
		close(work)
		wg.Wait()
		s.forgetLeases(nodes)
		if !sleep(ctx, s.opts.LeaseInterval-time.Since(began)) {
			return
		}
	}
}

// renewLease writes the node's Lease as the kubelet does: holder the node, owned by
// the Node (so the garbage collector removes it with the node), renewTime now.
func (s *Simulator) renewLease(ctx context.Context, n *corev1.Node) {
	// A kubelet's heartbeat client has a timeout: a request lost with a dropped
	// connection must not hold up the next renewal (of this node, or of the rest of
	// the round).
	ctx, cancel := context.WithTimeout(ctx, renewTimeout)
	defer cancel()
	s.leases.mu.Lock()
	prev := s.leases.written[n.Name]
	s.leases.mu.Unlock()
	now := metav1.NewMicroTime(time.Now())
	var (
		got *coordinationv1.Lease
		err error
	)
	leasesAPI := s.kube.CoordinationV1().Leases(leaseNamespace)
	if prev != nil && prev.OwnerReferences[0].UID == n.UID {
		l := prev.DeepCopy()
		l.Spec.RenewTime = &now
		got, err = leasesAPI.Update(ctx, l, metav1.UpdateOptions{})
	}
	if prev == nil || prev.OwnerReferences[0].UID != n.UID || apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		got, err = s.freshLease(ctx, n, now)
	}
	if err != nil {
		return // the next round tries again, as a kubelet does
	}
	s.leases.mu.Lock()
	s.leases.written[n.Name] = got
	s.leases.mu.Unlock()
}

// renewNow renews node's Lease at once.
func (s *Simulator) renewNow(ctx context.Context, node string) {
	if n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{}); err == nil {
		s.renewLease(ctx, n)
	}
}

func (s *Simulator) freshLease(ctx context.Context, n *corev1.Node, now metav1.MicroTime) (*coordinationv1.Lease, error) {
	leasesAPI := s.kube.CoordinationV1().Leases(leaseNamespace)
	holder, duration := n.Name, int32(leaseDuration)
	spec := coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &duration, RenewTime: &now}
	owner := []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID}}
	cur, err := leasesAPI.Get(ctx, n.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return leasesAPI.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: n.Name, Namespace: leaseNamespace, OwnerReferences: owner},
			Spec:       spec,
		}, metav1.CreateOptions{})
	}
	if err != nil {
		return nil, err
	}
	cur.OwnerReferences, cur.Spec = owner, spec
	return leasesAPI.Update(ctx, cur, metav1.UpdateOptions{})
}

// forgetLeases drops what it wrote for nodes that are gone (a new scenario).
func (s *Simulator) forgetLeases(nodes cache.Store) {
	s.leases.mu.Lock()
	defer s.leases.mu.Unlock()
	for name := range s.leases.written {
		if _, exists, _ := nodes.GetByKey(name); !exists {
			delete(s.leases.written, name)
		}
	}
}
