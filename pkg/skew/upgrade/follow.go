package upgrade

import (
	"fmt"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

type follower struct {
	w          *watchSet
	spec       phaseSpec
	emit       func(NodeEvent)
	state      map[string]*nodeProgress
	munged     string
	done       int
	stallSince time.Time
	// orphanSince is when a node in status.applying was first seen without a Job.
	orphanSince map[string]time.Time
	parsed      map[string]bool
	// seenPlan is set once the Plan was in the cache: its going away is an abort.
	seenPlan bool
}

// evaluate reads the caches once and reports progress; cost is linear in the
// phase's nodes plus the namespace's Jobs.
func (f *follower) evaluate(now time.Time) (bool, error) {
	plan := planStatusOf(f.w.plans, f.w.namespace+"/"+f.spec.Plan)
	if plan.found {
		f.seenPlan = true
	} else if f.seenPlan {
		return false, fmt.Errorf("%w: Plan %s was deleted while this run followed it", ErrAborted, f.spec.Plan)
	}
	jobs := f.jobsByNode()
	pending := 0
	waitingWithoutJob := 0
	for _, st := range f.spec.Nodes {
		p := f.state[st.Name]
		if p == nil {
			p = &nodeProgress{}
			f.state[st.Name] = p
		}
		if p.finished {
			continue
		}
		node := f.node(st.Name)
		if node == nil {
			return false, fmt.Errorf("node %s was deleted while %s upgraded it", st.Name, f.spec.Plan)
		}
		job := jobs[st.Name]
		ev := NodeEvent{Node: st.Name, Role: string(st.Role), From: st.From.String(), To: f.spec.To.String()}
		if job != nil {
			ev.Job = job.Name
		}
		if f.nodeDone(node, job, plan) {
			p.finished = true
			f.done++
			ev.Done, ev.Total = f.done, len(f.spec.Nodes)
			if job == nil && !p.started {
				ev.Kind = NodeAlready
				f.emit(ev)
				continue
			}
			end := now
			if !p.started {
				// Done before we saw it start: the Job's own times (to the second) are
				// all there is.
				p.started, p.startAt, end = true, jobStart(job, now), jobEnd(job, now)
				f.emit(NodeEvent{Kind: NodeStarted, Node: ev.Node, Role: ev.Role, From: ev.From, To: ev.To, Job: ev.Job, Done: f.done - 1, Total: ev.Total})
			}
			ev.Kind, ev.Took = NodeFinished, end.Sub(p.startAt)
			if ev.Took < 0 {
				ev.Took = 0
			}
			f.emit(ev)
			continue
		}
		pending++
		if err := f.notBack(st, node, job, now); err != nil {
			return false, err
		}
		if job != nil {
			if msg, failed := suc.JobFailed(job); failed {
				ev.Kind, ev.Message, ev.Done, ev.Total = NodeFailed, msg, f.done, len(f.spec.Nodes)
				f.emit(ev)
				return false, &JobFailedError{Plan: f.spec.Plan, Job: job.Name, Node: st.Name, Message: msg}
			}
		}
		running := (job != nil && job.Spec.Parallelism != nil && *job.Spec.Parallelism > 0) || slices.Contains(plan.applying, hostnameOf(st))
		if running && !p.started {
			// Seen live: our clock is finer than the Job's start time (whole seconds).
			p.started, p.startAt = true, now
			ev.Kind, ev.Done, ev.Total = NodeStarted, f.done, len(f.spec.Nodes)
			f.emit(ev)
		}
		if job == nil && !running {
			waitingWithoutJob++
		}
		if err := f.orphan(st, job, plan, now); err != nil {
			return false, err
		}
	}
	if pending == 0 {
		return true, nil
	}
	// SUC reports a Plan complete when it selects no node (a selector that matches
	// nothing, a missing hostname label): nothing will ever move. Give kubelets time
	// to report their new version before calling that stuck.
	if plan.found && plan.complete && plan.latestVersion == f.munged && waitingWithoutJob == pending && len(plan.applying) == 0 {
		if f.stallSince.IsZero() {
			f.stallSince = now
		}
		if now.Sub(f.stallSince) > f.spec.StallAfter {
			return false, fmt.Errorf("%w: the controller reports Plan %s complete, yet %d node(s) do not run %s; check that they carry the kubernetes.io/hostname label and are not opted out (plan.upgrade.cattle.io/%s=disabled)",
				ErrStalled, f.spec.Plan, pending, f.spec.To, f.spec.Plan)
		}
	} else {
		f.stallSince = time.Time{}
	}
	return false, nil
}

// orphan catches a node the controller lists as applying while it keeps no Job for
// it: SUC deletes such Jobs as "out of turn" when the node's name and hostname
// label differ, and then nothing ever moves.
func (f *follower) orphan(st upgradepath.NodeStep, job *batchv1.Job, plan planStatus, now time.Time) error {
	if job != nil || !slices.Contains(plan.applying, hostnameOf(st)) {
		delete(f.orphanSince, st.Name)
		return nil
	}
	if f.orphanSince == nil {
		f.orphanSince = map[string]time.Time{}
	}
	since, ok := f.orphanSince[st.Name]
	if !ok {
		f.orphanSince[st.Name] = now
		return nil
	}
	if now.Sub(since) > f.spec.StallAfter {
		return fmt.Errorf("%w: Plan %s lists node %s as applying but has had no Job for it for %s (the controller deletes the Job of a node whose name differs from its kubernetes.io/hostname label); upgrade that node by hand",
			ErrStalled, f.spec.Plan, st.Name, roundSeconds(now.Sub(since)))
	}
	return nil
}

func roundSeconds(d time.Duration) time.Duration { return d.Round(time.Second) }

// reached reports whether a kubelet version is at least the phase's, parsing each
// distinct string once: thousands of nodes report a handful of versions.
func (f *follower) reached(kubelet string) bool {
	if ok, seen := f.parsed[kubelet]; seen {
		return ok
	}
	v, err := version.Parse(kubelet)
	ok := err == nil && v.Compare(f.spec.To) >= 0
	if f.parsed == nil {
		f.parsed = map[string]bool{}
	}
	f.parsed[kubelet] = ok
	return ok
}

func (f *follower) nodeDone(node *corev1.Node, job *batchv1.Job, plan planStatus) bool {
	if f.spec.ByJob {
		if job != nil && suc.JobComplete(job) {
			return true
		}
		return plan.latestHash != "" && node.Labels[suc.NodePlanLabelPrefix+f.spec.Plan] == plan.latestHash
	}
	if !f.reached(node.Status.NodeInfo.KubeletVersion) {
		return false
	}
	// The kubelet reports the new version before the upgrade is over (RKE2's static
	// control-plane pods come back after it): done is when SUC says so too, by the
	// Job's completion or the node's plan label.
	if job != nil && suc.JobComplete(job) {
		return true
	}
	return plan.latestHash != "" && node.Labels[suc.NodePlanLabelPrefix+f.spec.Plan] == plan.latestHash
}

func (f *follower) node(name string) *corev1.Node {
	obj, ok, err := f.w.nodes.GetStore().GetByKey(name)
	if err != nil || !ok {
		return nil
	}
	n, _ := obj.(*corev1.Node)
	return n
}

// jobsByNode is the newest Job of the phase's Plan and version for each node.
func (f *follower) jobsByNode() map[string]*batchv1.Job {
	out := map[string]*batchv1.Job{}
	for _, obj := range f.w.jobs.GetStore().List() {
		j, ok := obj.(*batchv1.Job)
		if !ok || j.Labels[suc.LabelJobPlan] != f.spec.Plan || j.Labels[suc.LabelJobVersion] != f.munged || j.DeletionTimestamp != nil {
			continue
		}
		node := j.Labels[suc.LabelJobNode]
		if cur := out[node]; cur == nil || j.CreationTimestamp.After(cur.CreationTimestamp.Time) {
			out[node] = j
		}
	}
	return out
}

func jobStart(j *batchv1.Job, now time.Time) time.Time {
	if j != nil && j.Status.StartTime != nil {
		return j.Status.StartTime.Time
	}
	return now
}

func jobEnd(j *batchv1.Job, now time.Time) time.Time {
	if j != nil && j.Status.CompletionTime != nil {
		return j.Status.CompletionTime.Time
	}
	return now
}

func hostnameOf(s upgradepath.NodeStep) string {
	if s.Hostname != "" {
		return s.Hostname
	}
	return s.Name
}

// planStatus is the part of a Plan's status the follower reads, taken straight
// from the unstructured object: decoding a Plan that names thousands of hostnames
// on every event would cost more than the rest of the evaluation.
type planStatus struct {
	found         bool
	applying      []string
	latestVersion string
	latestHash    string
	complete      bool
}

func planStatusOf(inf cache.SharedIndexInformer, key string) planStatus {
	var ps planStatus
	obj, ok, err := inf.GetStore().GetByKey(key)
	if err != nil || !ok {
		return ps
	}
	if u, ok := obj.(*unstructured.Unstructured); ok {
		ps.found = true
		ps.applying, _, _ = unstructured.NestedStringSlice(u.Object, "status", "applying")
		ps.latestVersion, _, _ = unstructured.NestedString(u.Object, "status", "latestVersion")
		ps.latestHash, _, _ = unstructured.NestedString(u.Object, "status", "latestHash")
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, ok := c.(map[string]any)
			if ok && m["type"] == "Complete" && m["status"] == "True" {
				ps.complete = true
			}
		}
	}
	return ps
}

// notBack stops a phase whose node finished its Job but has not come back on the
// phase's version within the node timeout: it restarted and never returned.
func (f *follower) notBack(st upgradepath.NodeStep, node *corev1.Node, job *batchv1.Job, now time.Time) error {
	if f.spec.NodeTimeout <= 0 || f.spec.ByJob || !suc.JobComplete(job) || job.Status.CompletionTime == nil {
		return nil
	}
	if now.Sub(job.Status.CompletionTime.Time) <= f.spec.NodeTimeout {
		return nil
	}
	what := fmt.Sprintf("its kubelet reports %s, not yet %s", node.Status.NodeInfo.KubeletVersion, f.spec.To)
	if !cluster.Ready(node) {
		what += ", and it is not Ready"
	}
	key := "server " + st.Name
	if f.spec.Role != suc.RoleServer {
		key = "agent " + st.Name
	}
	return &NotBackError{Waiting: map[string]string{key: what}, After: f.spec.NodeTimeout}
}
