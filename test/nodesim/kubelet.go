package nodesim

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The kubelet's part for pods, beyond SUC's (job.go): what the controllers and the
// scheduler rely on a kubelet for.
//
//   - A pod being deleted (evicted by a drain, or its Job's garbage) is gone once its
//     kubelet has stopped its containers: the kubelet then deletes it for good. No
//     container runs here, so that is at once.
//   - A pod the scheduler placed starts: Running and Ready. Pods a scenario or a test
//     bound by name keep the status they were given.
func (s *Simulator) considerPod(ctx context.Context, obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.Spec.NodeName == "" {
		return
	}
	switch {
	case p.DeletionTimestamp != nil:
		s.async(ctx, "delete/"+string(p.UID), func() { s.finishDeletion(ctx, p) })
	case p.Labels[LabelPlan] != "" && p.Labels[LabelNode] != "" && p.Namespace == s.opts.Namespace:
		if p.Status.Phase == corev1.PodPending || p.Status.Phase == "" {
			s.async(ctx, "job/"+string(p.UID), func() { s.run(ctx, p.DeepCopy()) })
		}
	case scheduled(p) && (p.Status.Phase == corev1.PodPending || p.Status.Phase == "") && len(p.Status.ContainerStatuses) == 0:
		s.async(ctx, "start/"+string(p.UID), func() { s.startPod(ctx, p.DeepCopy()) })
	}
}

// async runs f once per key, tracked so that Wait waits for it.
func (s *Simulator) async(ctx context.Context, key string, f func()) {
	s.mu.Lock()
	if s.handled[key] || ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.handled[key] = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func scheduled(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func (s *Simulator) finishDeletion(ctx context.Context, p *corev1.Pod) {
	err := s.kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
		GracePeriodSeconds: ptr.To[int64](0),
		Preconditions:      &metav1.Preconditions{UID: &p.UID},
	})
	if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
		s.errorf(Event{Node: p.Spec.NodeName}, "delete pod %s/%s: %v", p.Namespace, p.Name, err)
	}
}

// startPod is a scheduled pod's containers coming up.
func (s *Simulator) startPod(ctx context.Context, p *corev1.Pod) {
	if err := s.writePodStatus(ctx, p, func(st *corev1.PodStatus, node *corev1.Node) {
		running(st, p, node)
		for _, c := range p.Spec.Containers {
			st.ContainerStatuses = append(st.ContainerStatuses, runningContainer(c, true))
		}
	}); err != nil && !apierrors.IsNotFound(err) {
		s.errorf(Event{Node: p.Spec.NodeName}, "start pod %s/%s: %v", p.Namespace, p.Name, err)
	}
}

// writePodStatus applies mutate to the pod's current status (with its node, for the
// addresses) and writes it through the status subresource, as the kubelet does.
func (s *Simulator) writePodStatus(ctx context.Context, p *corev1.Pod, mutate func(*corev1.PodStatus, *corev1.Node)) error {
	node, err := s.kube.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get node %s: %w", p.Spec.NodeName, err)
	}
	for attempt := 0; ; attempt++ {
		cur, err := s.kube.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != p.UID || cur.DeletionTimestamp != nil {
			return apierrors.NewNotFound(corev1.Resource("pods"), p.Name)
		}
		mutate(&cur.Status, node)
		_, err = s.kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		if err == nil || !apierrors.IsConflict(err) || attempt == 5 {
			return err
		}
	}
}

// running is the pod-level status of a pod whose containers started.
func running(st *corev1.PodStatus, p *corev1.Pod, node *corev1.Node) {
	now := metav1.Now()
	st.Phase = corev1.PodRunning
	if st.StartTime == nil {
		st.StartTime = &now
	}
	ip := nodeIP(node)
	st.HostIP = ip
	st.HostIPs = []corev1.HostIP{{IP: ip}}
	if p.Spec.HostNetwork {
		st.PodIP = ip
		st.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	setPodCondition(st, corev1.PodInitialized, corev1.ConditionTrue, now)
	setPodCondition(st, corev1.ContainersReady, corev1.ConditionTrue, now)
	setPodCondition(st, corev1.PodReady, corev1.ConditionTrue, now)
	st.ContainerStatuses = nil
}

func runningContainer(c corev1.Container, ready bool) corev1.ContainerStatus {
	now := metav1.Now()
	return corev1.ContainerStatus{
		Name: c.Name, Image: c.Image, ImageID: c.Image, Ready: ready, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
	}
}

func terminated(c corev1.Container, code int32, reason, message string) corev1.ContainerStatus {
	now := metav1.Now()
	return corev1.ContainerStatus{
		Name: c.Name, Image: c.Image, ImageID: c.Image, Started: ptr.To(false),
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			ExitCode: code, Reason: reason, Message: message, StartedAt: now, FinishedAt: now,
		}},
	}
}

func setPodCondition(st *corev1.PodStatus, t corev1.PodConditionType, status corev1.ConditionStatus, now metav1.Time) {
	for i := range st.Conditions {
		if st.Conditions[i].Type == t {
			if st.Conditions[i].Status != status {
				st.Conditions[i].LastTransitionTime = now
			}
			st.Conditions[i].Status = status
			return
		}
	}
	st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: status, LastTransitionTime: now})
}

func nodeIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}
