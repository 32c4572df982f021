package suc

import (
	"regexp"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
)

// JobFailure is a failed upgrade Job.
type JobFailure struct {
	Job, Node, Plan, Message string
}

// JobKey names the Jobs of one Plan on one node.
type JobKey struct{ Plan, Node string }

// keyOf is the Plan and node a Job of the controller's belongs to.
func keyOf(j *batchv1.Job) JobKey {
	return JobKey{Plan: j.Labels[LabelJobPlan], Node: j.Labels[LabelJobNode]}
}

// LatestJobs is the newest Job of each Plan and node: the controller may keep an
// older, failed one next to its retry.
func LatestJobs(jobs []batchv1.Job) map[JobKey]*batchv1.Job {
	out := map[JobKey]*batchv1.Job{}
	for i := range jobs {
		j := &jobs[i]
		k := keyOf(j)
		if k.Plan == "" || k.Node == "" {
			continue
		}
		if cur := out[k]; cur == nil || j.CreationTimestamp.After(cur.CreationTimestamp.Time) {
			out[k] = j
		}
	}
	return out
}

// FailedJobs is the newest Job of each Plan and node where that Job failed, by Plan
// and node.
func FailedJobs(jobs []batchv1.Job) []JobFailure {
	var out []JobFailure
	for k, j := range LatestJobs(jobs) {
		if msg, failed := JobFailed(j); failed {
			out = append(out, JobFailure{Job: j.Name, Node: k.Node, Plan: k.Plan, Message: msg})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Plan != out[j].Plan {
			return out[i].Plan < out[j].Plan
		}
		return out[i].Node < out[j].Node
	})
	return out
}

// JobFailed reports whether a Job failed, with its reason and message.
func JobFailed(j *batchv1.Job) (string, bool) {
	if j == nil {
		return "", false
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			msg := strings.TrimSpace(c.Reason + ": " + c.Message)
			return strings.Trim(msg, ": "), true
		}
	}
	return "", false
}

// JobComplete reports whether a Job succeeded.
func JobComplete(j *batchv1.Job) bool {
	if j == nil {
		return false
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// DrainBlock is what kubectl drain's own error says stopped it.
type DrainBlock struct {
	// Pod is the "namespace/name" of the pod the drain could not move.
	Pod string
	// Budget is set when a PodDisruptionBudget refused the pod's eviction.
	Budget bool
	// Unmanaged is set when the pod has no controller and the drain was not forced.
	Unmanaged bool
}

var (
	evictionError  = regexp.MustCompile(`error when evicting pods/"([^"]+)" -n "([^"]+)"`)
	unmanagedError = regexp.MustCompile(`declare no controller \(use --force to override\): ([^\s,\]]+)`)
)

// ParseDrainBlock reads kubectl drain's error text (a Job's failure message or an
// event) for the pod that stopped it.
func ParseDrainBlock(text string) (DrainBlock, bool) {
	if m := unmanagedError.FindStringSubmatch(text); m != nil {
		return DrainBlock{Pod: m[1], Unmanaged: true}, true
	}
	if m := evictionError.FindStringSubmatch(text); m != nil {
		return DrainBlock{Pod: m[2] + "/" + m[1], Budget: strings.Contains(text, "disruption budget")}, true
	}
	return DrainBlock{}, false
}
