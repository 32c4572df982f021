package nodesim

import (
	"context"
	"fmt"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

var planResource = schema.GroupVersionResource{Group: "upgrade.cattle.io", Version: "v1", Resource: "plans"}

// run plays one of SUC's Job pods from start to end, as the node's kubelet and the
// upgrade image would: its init containers in order (the prepare step of agents, cordon
// or drain), then the upgrade container (Delay), then success, or the failure it was
// told. The real Job controller turns the pod's end into the Job's conditions; a
// successful upgrade then restarts the node.
func (s *Simulator) run(ctx context.Context, pod *corev1.Pod) {
	ev := Event{Node: pod.Labels[LabelNode], Plan: pod.Labels[LabelPlan]}
	owner := metav1.GetControllerOf(pod)
	if owner == nil || owner.Kind != "Job" {
		return
	}
	ev.Job = owner.Name
	job, err := s.kube.BatchV1().Jobs(pod.Namespace).Get(ctx, owner.Name, metav1.GetOptions{})
	if err != nil || job.UID != owner.UID {
		s.emit(ev, EventJobGone, "deleted by the controller before its pod started")
		return
	}
	plan, err := s.getPlan(ctx, job.Namespace, ev.Plan)
	if err != nil && !apierrors.IsNotFound(err) {
		s.errorf(ev, "get plan: %v", err)
	}
	ev.Version = targetVersion(plan, job)
	if plan != nil {
		ev.PlanUID = string(plan.UID)
	}
	// A kubelet that is down (its node restarting) runs no pod: it starts the pod
	// once it is back.
	if !s.waitUp(ctx, ev.Node) {
		return
	}
	s.emit(ev, EventJobStarted, "pod "+pod.Name)

	inits := pod.Spec.InitContainers
	for i, c := range inits {
		if err := s.writePodStatus(ctx, pod, func(st *corev1.PodStatus, node *corev1.Node) {
			initializing(st, pod, node, i)
		}); err != nil {
			s.stopOn(ev, err, "start init container "+c.Name)
			return
		}
		switch c.Name {
		case "prepare":
			if server := prepareTarget(job); server != "" && !s.waitPrepare(ctx, pod, ev, server) {
				return
			}
		case "cordon":
			if err := s.cordon(ctx, ev.Node); err != nil {
				s.errorf(ev, "cordon: %v", err)
			} else {
				s.emit(ev, EventCordoned, "")
			}
		case "drain":
			if msg := s.drain(ctx, ev.Node, drainOf(job)); msg != "" {
				s.endPod(ctx, pod, ev, i, msg)
				return
			}
			s.emit(ev, EventCordoned, "drained")
		}
	}
	if err := s.writePodStatus(ctx, pod, func(st *corev1.PodStatus, node *corev1.Node) {
		running(st, pod, node)
		st.InitContainerStatuses = doneInits(inits, len(inits))
		for _, c := range pod.Spec.Containers {
			st.ContainerStatuses = append(st.ContainerStatuses, runningContainer(c, true))
		}
	}); err != nil {
		s.stopOn(ev, err, "start the upgrade container")
		return
	}

	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if !sleep(ctx, delay) {
		return
	}
	if s.podGone(ctx, pod) {
		s.emit(ev, EventJobGone, "deleted by the controller before it finished")
		return
	}
	// The upgrade images compare the binary they bring with the node's (sha256sum):
	// the same one ends the Job at once, and nothing restarts ("Binary already been
	// replaced" in k3s-upgrade's and rke2-upgrade's upgrade.sh).
	snapshot := snapshotName(job)
	replaced := snapshot == "" && s.binaryIs(ctx, ev.Node, ev.Version)
	if msg := s.failure(ctx, ev.Node); msg != "" && !replaced {
		s.endPod(ctx, pod, ev, -1, msg)
		return
	}
	if msg := s.hang(ctx, ev.Node); msg != "" && !replaced {
		// The upgrade never ends: only the Job's deadline (the Job controller) or
		// SUC deleting the Job ends this pod.
		s.emit(ev, EventJobHanging, msg)
		return
	}
	// The images end once the new binary is in place and the service was told to
	// restart: the node restarts after its pod (and so its Job) has succeeded.
	if err := s.writePodStatus(ctx, pod, func(st *corev1.PodStatus, _ *corev1.Node) {
		ended(st, corev1.PodSucceeded)
		st.InitContainerStatuses = doneInits(inits, len(inits))
		st.ContainerStatuses = nil
		for _, c := range pod.Spec.Containers {
			st.ContainerStatuses = append(st.ContainerStatuses, terminated(c, 0, "Completed", ""))
		}
	}); err != nil {
		s.stopOn(ev, err, "end the upgrade container")
		return
	}
	switch {
	case snapshot != "":
		// The snapshot Plan's Job runs `etcd-snapshot save` in place of the
		// upgrade script: the snapshot is recorded, and nothing restarts.
		s.emit(ev, EventJobComplete, "etcd-snapshot save")
		s.recordSnapshot(ctx, ev, snapshot)
	case replaced:
		s.emit(ev, EventJobComplete, "binary already replaced: nothing restarts")
	default:
		s.setBinary(ev.Node, ev.Version)
		s.emit(ev, EventJobComplete, "")
		s.restart(ctx, ev, nil)
	}
}

// endPod fails the pod in init container i (-1: in the upgrade container) with msg as
// that container's termination message (see docs/sandbox.md for why it is there).
func (s *Simulator) endPod(ctx context.Context, pod *corev1.Pod, ev Event, i int, msg string) {
	inits := pod.Spec.InitContainers
	if err := s.writePodStatus(ctx, pod, func(st *corev1.PodStatus, _ *corev1.Node) {
		ended(st, corev1.PodFailed)
		st.ContainerStatuses = nil
		if i >= 0 {
			st.InitContainerStatuses = doneInits(inits, i)
			st.InitContainerStatuses = append(st.InitContainerStatuses, terminated(inits[i], 1, "Error", msg))
			for _, c := range pod.Spec.Containers {
				st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
					State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}})
			}
			return
		}
		st.InitContainerStatuses = doneInits(inits, len(inits))
		for _, c := range pod.Spec.Containers {
			st.ContainerStatuses = append(st.ContainerStatuses, terminated(c, 1, "Error", msg))
		}
	}); err != nil {
		s.stopOn(ev, err, "fail the pod")
		return
	}
	s.emit(ev, EventJobFailed, msg)
}

// initializing is the pod while init container i runs (the ones before it are done).
func initializing(st *corev1.PodStatus, p *corev1.Pod, node *corev1.Node, i int) {
	running(st, p, node)
	st.Phase = corev1.PodPending
	now := metav1.Now()
	setPodCondition(st, corev1.PodInitialized, corev1.ConditionFalse, now)
	setPodCondition(st, corev1.ContainersReady, corev1.ConditionFalse, now)
	setPodCondition(st, corev1.PodReady, corev1.ConditionFalse, now)
	st.InitContainerStatuses = append(doneInits(p.Spec.InitContainers, i), runningContainer(p.Spec.InitContainers[i], false))
	for _, c := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}})
	}
}

// doneInits are the first n init containers, each exited 0.
func doneInits(inits []corev1.Container, n int) []corev1.ContainerStatus {
	out := make([]corev1.ContainerStatus, 0, n)
	for _, c := range inits[:n] {
		out = append(out, terminated(c, 0, "Completed", ""))
	}
	return out
}

// ended is a pod whose containers have all exited: not ready any more.
func ended(st *corev1.PodStatus, phase corev1.PodPhase) {
	now := metav1.Now()
	st.Phase = phase
	setPodCondition(st, corev1.ContainersReady, corev1.ConditionFalse, now)
	setPodCondition(st, corev1.PodReady, corev1.ConditionFalse, now)
}

// waitPrepare blocks until the prepare condition holds; false when the Job went away
// or the simulator stopped first.
func (s *Simulator) waitPrepare(ctx context.Context, pod *corev1.Pod, ev Event, server string) bool {
	lastReason := ""
	for {
		ok, reason, err := s.prepareReady(ctx, pod.Namespace, server, pod.Labels[LabelVersion])
		if err != nil {
			reason = err.Error()
		}
		if ok {
			s.emit(ev, EventPrepareDone, "server plan "+server+" done")
			return true
		}
		if reason != lastReason {
			s.emit(ev, EventPrepareWaiting, reason)
			lastReason = reason
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(s.opts.Poll):
		}
		if s.podGone(ctx, pod) {
			s.emit(ev, EventJobGone, "deleted by the controller while waiting for "+server)
			return false
		}
	}
}

// prepareReady is the k3s-upgrade/rke2-upgrade image's `prepare <server plan>`: the
// server Plan exists and applies to no node, and every control-plane kubelet reports
// exactly this Job's Plan version (a mismatch waits forever, as the real script does).
func (s *Simulator) prepareReady(ctx context.Context, ns, server, mungedVersion string) (bool, string, error) {
	plan, err := s.getPlan(ctx, ns, server)
	if apierrors.IsNotFound(err) {
		return false, "server plan " + server + " does not exist", nil
	}
	if err != nil {
		return false, "", err
	}
	if len(plan.Status.Applying) > 0 {
		return false, fmt.Sprintf("server plan %s is applying on %v", server, plan.Status.Applying), nil
	}
	nodes, err := s.kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: "node-role.kubernetes.io/control-plane,node-role.kubernetes.io/control-plane!=false"})
	if err != nil {
		return false, "", err
	}
	if len(nodes.Items) == 0 {
		return false, "no control-plane node", nil
	}
	want := Demunge(mungedVersion)
	for _, n := range nodes.Items {
		if got := n.Status.NodeInfo.KubeletVersion; got != want {
			return false, fmt.Sprintf("control-plane node %s reports %s, waiting for %s", n.Name, got, want), nil
		}
	}
	return true, "", nil
}

func (s *Simulator) getPlan(ctx context.Context, ns, name string) (*upgradev1.Plan, error) {
	u, err := s.dyn.Resource(planResource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	plan := &upgradev1.Plan{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, plan); err != nil {
		return nil, fmt.Errorf("decode plan %s: %w", name, err)
	}
	return plan, nil
}

// podGone reports whether the pod is going away: SUC deleted its Job (the garbage
// collector then deletes the pod), the Job controller ended it at its deadline, or
// it was replaced.
func (s *Simulator) podGone(ctx context.Context, pod *corev1.Pod) bool {
	got, err := s.kube.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
	return apierrors.IsNotFound(err) || (err == nil && (got.UID != pod.UID || got.DeletionTimestamp != nil))
}

func (s *Simulator) failure(ctx context.Context, node string) string {
	s.mu.Lock()
	msg := s.fail[node]
	s.mu.Unlock()
	if msg != "" {
		return msg
	}
	n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return n.Annotations[AnnotationFail]
}

// hang is the node's AnnotationHang: its upgrade never finishes.
func (s *Simulator) hang(ctx context.Context, node string) string {
	n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return ""
	}
	return n.Annotations[AnnotationHang]
}

func (s *Simulator) cordon(ctx context.Context, node string) error {
	_, err := s.kube.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
	return err
}

func (s *Simulator) emit(ev Event, kind, msg string) {
	ev.Event, ev.Message = kind, msg
	s.log.emit(ev)
}

func (s *Simulator) errorf(ev Event, format string, args ...any) {
	s.emit(ev, EventError, fmt.Sprintf(format, args...))
}

// stopOn logs why a Job's play ended early; a Job SUC deleted is no error.
func (s *Simulator) stopOn(ev Event, err error, what string) {
	if apierrors.IsNotFound(err) {
		s.emit(ev, EventJobGone, "deleted by the controller before "+what)
		return
	}
	s.errorf(ev, "%s: %v", what, err)
}
