package nodesim

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// restart plays the node after its Job (job.go) or an install (install.go): the
// service restarts, so the node is down (NotReady, no Lease renewals) for
// RestartDelay, then its kubelet is back on ev.Version, then its static
// control-plane and kube-proxy pods show the new image PodLag later; or what its
// come-back annotation says. down, when not nil, runs once the node is NotReady: the
// moment `systemctl restart` has returned on a real host, which is when an install
// command ends. Both paths share this one sequence so they cannot drift apart.
func (s *Simulator) restart(ctx context.Context, ev Event, down func()) {
	mode, from := s.comeBack(ctx, ev.Node)
	if from != "" {
		ev.From = from // the events of the whole restart say what it came from
	}
	// The kubelet is down: no Lease renewals until it is back (never, for "never").
	s.setDown(ev.Node, true)
	if err := s.setReady(ctx, ev.Node, corev1.ConditionFalse); err != nil {
		s.setDown(ev.Node, false) // the kubelet never went down: its heartbeat goes on
		s.errorf(ev, "restart: %v", err)
		return
	}
	s.emit(ev, EventNodeDown, "restarting "+mode)
	if down != nil {
		down()
	}
	if mode == "never" {
		return
	}
	if !sleep(ctx, s.opts.RestartDelay) {
		return
	}
	ready := corev1.ConditionTrue
	if mode == "notready" {
		ready = corev1.ConditionFalse
	}
	from, err := s.kubeletBack(ctx, ev.Node, ev.Version, ready)
	s.setDown(ev.Node, false)
	if err != nil {
		s.errorf(ev, "upgrade node: %v", err)
		return
	}
	ev.From = from
	// Logged as the status write lands: a run that ends on this write must find it
	// in the log.
	s.emit(ev, EventNodeUpgraded, string(ready))
	// A kubelet renews its node Lease as soon as it starts (its lease controller
	// syncs once at start), not one renewal interval later.
	s.renewNow(ctx, ev.Node)
	if !sleep(ctx, s.opts.PodLag) {
		return
	}
	if err := s.upgradePods(ctx, ev.Node, from, ev.Version); err != nil {
		s.errorf(ev, "move pods: %v", err)
		return
	}
	s.emit(ev, EventPodsMoved, "")
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// comeBack is the node's come-back annotation and the version its kubelet reports
// before the restart (both "" when the node cannot be read).
func (s *Simulator) comeBack(ctx context.Context, node string) (mode, version string) {
	n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return "", ""
	}
	return n.Annotations[AnnotationComeBack], n.Status.NodeInfo.KubeletVersion
}

// kubeletBack is the restarted kubelet: it reports the new version (and, as kubelets
// before v1.31 do, the same as its kube-proxy version), its Ready condition with a
// fresh heartbeat. It returns the old version.
func (s *Simulator) kubeletBack(ctx context.Context, name, version string, ready corev1.ConditionStatus) (string, error) {
	var from string
	err := s.updateNode(ctx, name, func(n *corev1.Node) {
		from = n.Status.NodeInfo.KubeletVersion
		n.Status.NodeInfo.KubeletVersion = version
		//lint:ignore SA1019 the simulated kubelet fills the deprecated field as real ones before v1.31 do; the plugin never reads it
		n.Status.NodeInfo.KubeProxyVersion = kubeProxyReport(version)
		// A reinstalled K3s or RKE2 brings the containerd its release bundles.
		if rt, ok := scenarios.BundledRuntime(version); ok {
			n.Status.NodeInfo.ContainerRuntimeVersion = rt
		}
		readyCondition(n, ready)
	})
	return from, err
}

// setReady writes the node's Ready condition with a fresh heartbeat.
func (s *Simulator) setReady(ctx context.Context, name string, status corev1.ConditionStatus) error {
	return s.updateNode(ctx, name, func(n *corev1.Node) { readyCondition(n, status) })
}

// updateNode writes the node's status as the kubelet does, which keeps trying while
// the apiserver is away: a request cut off in flight (the apiserver stopped under
// it) is tried again, not only one refused at connect (patient). An update carries
// the resourceVersion it read, so a retry cannot write twice.
func (s *Simulator) updateNode(ctx context.Context, name string, mutate func(*corev1.Node)) error {
	deadline := time.Now().Add(apiserverGone)
	for {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			n, err := s.kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			mutate(n)
			_, err = s.kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
			return err
		})
		if err == nil || ctx.Err() != nil || !cutOff(err) || time.Now().After(deadline) {
			return err
		}
		if !sleep(ctx, 250*time.Millisecond) {
			return err
		}
	}
}

// cutOff is an error that carries no answer of the apiserver: the connection broke.
func cutOff(err error) bool {
	var status apierrors.APIStatus
	return !errors.As(err, &status)
}

func readyCondition(n *corev1.Node, status corev1.ConditionStatus) {
	now := metav1.Now()
	reason := "KubeletReady"
	if status != corev1.ConditionTrue {
		reason = "KubeletNotReady"
	}
	for i := range n.Status.Conditions {
		c := &n.Status.Conditions[i]
		if c.Type == corev1.NodeReady {
			if c.Status != status {
				c.LastTransitionTime = now
			}
			c.Status, c.Reason, c.LastHeartbeatTime = status, reason, now
			return
		}
	}
	n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeReady, Status: status, Reason: reason, LastHeartbeatTime: now, LastTransitionTime: now})
}

func (s *Simulator) upgradePods(ctx context.Context, node, from, to string) error {
	pods, err := s.kube.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return err
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		changed := false
		for c := range p.Spec.Containers {
			if img, ok := retag(p.Spec.Containers[c].Image, from, to); ok {
				p.Spec.Containers[c].Image, changed = img, true
			}
		}
		if !changed {
			continue
		}
		updated, err := s.kube.CoreV1().Pods(p.Namespace).Update(ctx, p, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("update pod %s: %w", p.Name, err)
		}
		// The kubelet recreated the mirror pod and its container is up.
		now := metav1.Now()
		updated.Status.Phase = corev1.PodRunning
		updated.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
		if _, err := s.kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("update pod status %s: %w", p.Name, err)
		}
	}
	return nil
}

// waitUp waits while node's kubelet is down; false when ctx ended first.
func (s *Simulator) waitUp(ctx context.Context, node string) bool {
	for s.isDown(node) {
		if !sleep(ctx, 100*time.Millisecond) {
			return false
		}
	}
	return true
}

// binaryIs reports whether the K3s or RKE2 binary on node is version's: the one
// the node's last successful Job put in place, or else what its kubelet runs.
func (s *Simulator) binaryIs(ctx context.Context, node, version string) bool {
	s.mu.Lock()
	bin, ok := s.binaries[node]
	s.mu.Unlock()
	if ok {
		return bin == version
	}
	n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	return err == nil && n.Status.NodeInfo.KubeletVersion == version
}

// setBinary records that node's binary is version's now.
func (s *Simulator) setBinary(node, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.binaries[node] = version
}
