package nodesim

import (
	"context"
	"fmt"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
)

var planResource = schema.GroupVersionResource{Group: "upgrade.cattle.io", Version: "v1", Resource: "plans"}

// run plays one Job from start to end, as the node would: the prepare step (agents),
// cordon or drain, the upgrade itself (Delay), then success or the failure it was told.
func (s *Simulator) run(ctx context.Context, job *batchv1.Job) {
	ev := Event{Node: job.Labels[LabelNode], Plan: job.Labels[LabelPlan], Job: job.Name}
	plan, err := s.getPlan(ctx, job.Namespace, ev.Plan)
	if err != nil && !apierrors.IsNotFound(err) {
		s.errorf(ev, "get plan: %v", err)
	}
	ev.Version = targetVersion(plan, job)
	s.emit(ev, EventJobStarted, "")
	if err := s.updateJobStatus(ctx, job, markRunning); err != nil {
		s.stopOn(ev, err, "mark job running")
		return
	}

	if server := prepareTarget(job); server != "" {
		if !s.waitPrepare(ctx, job, ev, server) {
			return
		}
	}
	if cordons(job) {
		if err := s.cordon(ctx, ev.Node); err != nil {
			s.errorf(ev, "cordon: %v", err)
		} else {
			s.emit(ev, EventCordoned, "")
		}
	}

	if d := drainOf(job); d.present {
		if msg, wait := s.drainError(ctx, ev.Node, d); msg != "" {
			if !sleep(ctx, wait) || s.gone(ctx, job) {
				return
			}
			if err := s.updateJobStatus(ctx, job, markFailed(msg)); err != nil {
				s.stopOn(ev, err, "mark job failed")
				return
			}
			s.emit(ev, EventJobFailed, msg)
			return
		}
	}

	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	if s.gone(ctx, job) {
		s.emit(ev, EventJobGone, "deleted by the controller before it finished")
		return
	}

	if msg := s.failure(ctx, ev.Node); msg != "" {
		if err := s.updateJobStatus(ctx, job, markFailed(msg)); err != nil {
			s.stopOn(ev, err, "mark job failed")
			return
		}
		s.emit(ev, EventJobFailed, msg)
		return
	}
	// The images end their Job once the new binary is in place and the service was
	// told to restart: the node restarts after its Job has completed.
	if err := s.updateJobStatus(ctx, job, markComplete); err != nil {
		s.stopOn(ev, err, "mark job complete")
		return
	}
	s.emit(ev, EventJobComplete, "")
	if name := snapshotName(job); name != "" {
		s.recordSnapshot(ctx, ev, name)
	}
	s.restart(ctx, ev)
}

// waitPrepare blocks until the prepare condition holds; false when the Job went away
// or the simulator stopped first.
func (s *Simulator) waitPrepare(ctx context.Context, job *batchv1.Job, ev Event, server string) bool {
	lastReason := ""
	for {
		ok, reason, err := s.prepareReady(ctx, job.Namespace, server, job.Labels[LabelVersion])
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
		if s.gone(ctx, job) {
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

// gone reports whether SUC deleted the Job (or replaced it with a new one).
func (s *Simulator) gone(ctx context.Context, job *batchv1.Job) bool {
	got, err := s.kube.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
	return apierrors.IsNotFound(err) || (err == nil && (got.UID != job.UID || got.DeletionTimestamp != nil))
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

func (s *Simulator) cordon(ctx context.Context, node string) error {
	_, err := s.kube.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, []byte(`{"spec":{"unschedulable":true}}`), metav1.PatchOptions{})
	return err
}

// updateJobStatus applies mutate to a fresh copy of the Job's status and writes it
// through the status subresource, retrying on conflicts with SUC's own writes.
func (s *Simulator) updateJobStatus(ctx context.Context, job *batchv1.Job, mutate func(*batchv1.Job)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		got, err := s.kube.BatchV1().Jobs(job.Namespace).Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if got.UID != job.UID {
			return apierrors.NewNotFound(schema.GroupResource{Group: "batch", Resource: "jobs"}, job.Name)
		}
		mutate(got)
		_, err = s.kube.BatchV1().Jobs(job.Namespace).UpdateStatus(ctx, got, metav1.UpdateOptions{})
		return err
	})
}

// The Job status transitions below are the ones the Job controller makes, which the
// apiserver (JobManagedBy, on by default since v1.32) insists on: a start time before
// finishing, SuccessCriteriaMet before Complete, FailureTarget before Failed, no active
// pods once finished, a completion time only when complete.

func markRunning(j *batchv1.Job) {
	if j.Status.StartTime == nil {
		now := metav1.Now()
		j.Status.StartTime = &now
	}
	j.Status.Active = 1
	j.Status.Ready = ptr.To[int32](1)
}

func markComplete(j *batchv1.Job) {
	now := metav1.Now()
	finish(j, now)
	j.Status.Succeeded = 1
	j.Status.CompletionTime = &now
	j.Status.Conditions = append(j.Status.Conditions,
		condition(batchv1.JobSuccessCriteriaMet, "CompletionsReached", "Reached expected number of succeeded pods", now),
		condition(batchv1.JobComplete, "CompletionsReached", "Reached expected number of succeeded pods", now))
}

func markFailed(msg string) func(*batchv1.Job) {
	return func(j *batchv1.Job) {
		now := metav1.Now()
		finish(j, now)
		j.Status.Failed++
		j.Status.Conditions = append(j.Status.Conditions,
			condition(batchv1.JobFailureTarget, "BackoffLimitExceeded", msg, now),
			condition(batchv1.JobFailed, "BackoffLimitExceeded", msg, now))
	}
}

func finish(j *batchv1.Job, now metav1.Time) {
	if j.Status.StartTime == nil {
		j.Status.StartTime = &now
	}
	j.Status.Active = 0
	j.Status.Ready = ptr.To[int32](0)
	j.Status.Terminating = nil
	j.Status.UncountedTerminatedPods = nil
}

func condition(t batchv1.JobConditionType, reason, msg string, now metav1.Time) batchv1.JobCondition {
	return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastProbeTime: now, LastTransitionTime: now}
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
