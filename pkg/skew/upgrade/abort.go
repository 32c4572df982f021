package upgrade

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/changes"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// AbortConfig is one run of abort.
type AbortConfig struct {
	Kube    kubernetes.Interface
	Dynamic dynamic.Interface
	// Namespace is the controller's, where our Plans are.
	Namespace string
	// DryRun works out what abort would do and writes nothing.
	DryRun bool
	// Timeout bounds the wait for nodes already upgrading; 0 means 10 minutes.
	Timeout time.Duration
	// Emit receives a line for each thing abort does.
	Emit func(string)
}

// AbortResult is what abort did, or with DryRun would do.
type AbortResult struct {
	// Plans are our Plans, deleted.
	Plans []string
	// Finished are the nodes that were upgrading when abort began; they finished first.
	Finished []string
	// Uncordoned are the nodes our Plans had cordoned.
	Uncordoned []string
	// Failed are nodes whose upgrade Job failed, by node: left cordoned.
	Failed map[string]string
	// CordonedBefore are nodes cordoned before the run: left cordoned.
	CordonedBefore []string
}

// Abort stops our upgrade safely: no node starts after it (each Plan is narrowed to
// the nodes it is upgrading), nodes already upgrading finish (a Job is never killed
// half way), then our Plans are deleted and the nodes they cordoned uncordoned, but
// for nodes whose Job failed and nodes cordoned before the run. It touches nothing
// that is not ours.
func Abort(ctx context.Context, cfg AbortConfig) (*AbortResult, error) {
	emit := func(format string, args ...any) {
		if cfg.Emit != nil {
			cfg.Emit(fmt.Sprintf(format, args...))
		}
	}
	plans := &suc.Client{Dynamic: cfg.Dynamic, Namespace: cfg.Namespace}
	ours, err := plans.Ours(ctx)
	if err != nil {
		return nil, fmt.Errorf("list plans in %s: %w", cfg.Namespace, err)
	}
	res := &AbortResult{Failed: map[string]string{}}
	if len(ours) == 0 {
		return res, nil
	}
	jobs, err := cfg.Kube.BatchV1().Jobs(cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector})
	if err != nil {
		return nil, fmt.Errorf("list jobs in %s: %w", cfg.Namespace, err)
	}
	inFlight := upgrading(ours, jobs.Items)
	selected := map[string]bool{} // hostnames any of our Plans selects
	for i := range ours {
		res.Plans = append(res.Plans, ours[i].Name)
		for _, h := range suc.SelectedHostnames(&ours[i]) {
			selected[h] = true
		}
		res.Finished = append(res.Finished, inFlight[ours[i].Name]...)
	}
	if !cfg.DryRun {
		deadline := time.Now().Add(cfg.timeout())
		nodes, err := cfg.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return res, fmt.Errorf("list nodes: %w", err)
		}
		kept := awaited(ours, inFlight, nodes.Items)
		if err := freeze(ctx, plans, ours, inFlight, kept, emit); err != nil {
			return res, err
		}
		if err := waitFinished(ctx, cfg, inFlight, deadline); err != nil {
			return res, err
		}
		// The Jobs as they ended, read before the garbage collector takes them
		// with their Plans: a failed one keeps its node cordoned.
		if jobs, err = cfg.Kube.BatchV1().Jobs(cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector}); err != nil {
			return res, fmt.Errorf("list jobs in %s: %w", cfg.Namespace, err)
		}
		for _, name := range res.Plans {
			if _, awaited := kept[name]; len(inFlight[name]) == 0 && !awaited {
				continue // freeze deleted it at once: it upgraded no node
			}
			if err := plans.Delete(ctx, name, false); err != nil {
				return res, err
			}
			emit("plan.upgrade.cattle.io/%s deleted", name)
		}
		if err := waitPodsEnded(ctx, cfg, deadline); err != nil {
			return res, err
		}
	}
	nodes, err := cfg.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return res, fmt.Errorf("list nodes: %w", err)
	}
	uncordon := judgeCordons(res, ours, selected, nodes.Items, jobs.Items)
	for _, name := range uncordon {
		if !cfg.DryRun {
			patch := []byte(`{"spec":{"unschedulable":false}}`)
			if _, err := cfg.Kube.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: suc.FieldManager}); err != nil {
				return res, fmt.Errorf("uncordon %s: %w", name, err)
			}
			emit("node/%s uncordoned", name)
		}
		res.Uncordoned = append(res.Uncordoned, name)
	}
	return res, nil
}

// judgeCordons picks, among the cordoned nodes our Plans selected, those to
// uncordon; it records the ones left cordoned in res, and why.
func judgeCordons(res *AbortResult, ours []upgradev1.Plan, selected map[string]bool, nodes []corev1.Node, jobs []batchv1.Job) []string {
	before := map[string]bool{}
	for i := range ours {
		for _, n := range suc.RecordOf(&ours[i]).Cordoned {
			before[n] = true
		}
	}
	latest := suc.LatestJobs(jobs)
	var out []string
	for i := range nodes {
		n := &nodes[i]
		if !n.Spec.Unschedulable || !selected[cluster.Hostname(n)] {
			continue
		}
		failed := ""
		for k, j := range latest {
			if k.Node == n.Name {
				if msg, ok := suc.JobFailed(j); ok {
					failed = j.Name + ": " + msg
				}
			}
		}
		switch {
		case failed != "":
			res.Failed[n.Name] = failed
		case before[n.Name]:
			res.CordonedBefore = append(res.CordonedBefore, n.Name)
		default:
			out = append(out, n.Name)
		}
	}
	sort.Strings(out)
	sort.Strings(res.CordonedBefore)
	return out
}

// upgrading are, by Plan, the nodes being upgraded now: those the Plan's status
// says it applies, and those with a Job of the Plan that has not ended. The status
// lags: the controller may have started the next node's Job since it was written;
// and it keeps a node whose Job failed, which upgrades nothing any more.
func upgrading(ours []upgradev1.Plan, jobs []batchv1.Job) map[string][]string {
	out := map[string][]string{}
	latest := suc.LatestJobs(jobs)
	for i := range ours {
		name := ours[i].Name
		var nodes []string
		for _, n := range ours[i].Status.Applying {
			if j := latest[suc.JobKey{Plan: name, Node: n}]; j != nil {
				if _, failed := suc.JobFailed(j); failed {
					continue
				}
			}
			nodes = append(nodes, n)
		}
		for k, j := range latest {
			if _, failed := suc.JobFailed(j); k.Plan == name && !failed && !suc.JobComplete(j) && !slices.Contains(nodes, k.Node) {
				nodes = append(nodes, k.Node)
			}
		}
		sort.Strings(nodes)
		if len(nodes) > 0 {
			out[name] = nodes
		}
	}
	return out
}

// freeze narrows each of our Plans to the nodes it is upgrading now, so that the
// controller starts no other, and marks it aborting, so that no run widens it again
// (suc.Client.Apply refuses to); a Plan upgrading none is deleted at once. Both are
// selector changes: neither the Plan's hash nor its Jobs' template covers the
// selector, so the Jobs in flight go on (suc.MarkAborting).
//
// A server Plan that upgrades no node but that the prepare step of an agent still
// upgrading waits for (kept: its nodes already on its version) is narrowed to those
// nodes and deleted with the others once they finish: deleted now, the agent's prepare
// would wait for it until its Job's deadline.
func freeze(ctx context.Context, plans *suc.Client, ours []upgradev1.Plan, inFlight, kept map[string][]string, emit func(string, ...any)) error {
	for i := range ours {
		p := ours[i].DeepCopy()
		nodes := inFlight[p.Name]
		if done, ok := kept[p.Name]; ok {
			nodes = done
		}
		if len(nodes) == 0 {
			if err := plans.Delete(ctx, p.Name, false); err != nil {
				return err
			}
			emit("plan.upgrade.cattle.io/%s deleted: it upgraded no node", p.Name)
			continue
		}
		for j, r := range p.Spec.NodeSelector.MatchExpressions {
			if r.Key == cluster.LabelHostname {
				p.Spec.NodeSelector.MatchExpressions[j].Values = nodes
			}
		}
		suc.MarkAborting(p, time.Now())
		if _, err := plans.Apply(ctx, []*upgradev1.Plan{p}, suc.ApplyOptions{}); err != nil {
			return err
		}
		emit("plan.upgrade.cattle.io/%s narrowed to %v: no further node starts; those finish", p.Name, nodes)
	}
	return nil
}

// errAbortTimeout ends an abort that waited longer than its timeout.
var errAbortTimeout = errors.New("abort timed out")

func (c AbortConfig) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultNodeTimeout
}

// waitFinished waits until the Job of every node that was upgrading has completed or
// failed.
func waitFinished(ctx context.Context, cfg AbortConfig, inFlight map[string][]string, deadline time.Time) error {
	return waitUntil(ctx, cfg, deadline, false, func() (string, error) {
		jobs, err := cfg.Kube.BatchV1().Jobs(cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector})
		if err != nil {
			return "", fmt.Errorf("list jobs in %s: %w", cfg.Namespace, err)
		}
		latest := suc.LatestJobs(jobs.Items)
		var running []string
		for plan, nodes := range inFlight {
			for _, h := range nodes {
				j := latest[suc.JobKey{Plan: plan, Node: h}]
				if _, failed := suc.JobFailed(j); j != nil && !failed && !suc.JobComplete(j) {
					running = append(running, h)
				}
			}
		}
		if len(running) == 0 {
			return "", nil
		}
		sort.Strings(running)
		return fmt.Sprintf("nodes still upgrading %v; their Plans are narrowed to them, so no other node starts; run abort again once they finish", running), nil
	})
}

// waitPodsEnded waits, once our Plans are deleted, until none of their Jobs is
// still active and no pod of theirs is pending or running: the garbage collector
// removes them, and until then a pod that had not reached its cordon step (or a
// Job's pod not yet created) could still cordon a node after abort uncordoned it.
func waitPodsEnded(ctx context.Context, cfg AbortConfig, deadline time.Time) error {
	return waitUntil(ctx, cfg, deadline, true, func() (string, error) {
		opts := metav1.ListOptions{LabelSelector: suc.OwnedSelector}
		jobs, err := cfg.Kube.BatchV1().Jobs(cfg.Namespace).List(ctx, opts)
		if err != nil {
			return "", fmt.Errorf("list jobs in %s: %w", cfg.Namespace, err)
		}
		pods, err := cfg.Kube.CoreV1().Pods(cfg.Namespace).List(ctx, opts)
		if err != nil {
			return "", fmt.Errorf("list pods in %s: %w", cfg.Namespace, err)
		}
		var live []string
		for i := range jobs.Items {
			j := &jobs.Items[i]
			if _, failed := suc.JobFailed(j); !failed && !suc.JobComplete(j) {
				live = append(live, "job/"+j.Name)
			}
		}
		for _, p := range pods.Items {
			if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
				live = append(live, "pod/"+p.Name)
			}
		}
		if len(live) == 0 {
			return "", nil
		}
		sort.Strings(live)
		return fmt.Sprintf("%v of our deleted Plans are still active; the garbage collector removes them; run abort again to uncordon once they are gone", live), nil
	})
}

// waitUntil calls check now and again at each change of our Jobs (and, with pods,
// their pods) until it reports nothing left to wait for, fails, or the deadline
// passes. The resync only bounds a wait whose watch could not be opened.
func waitUntil(ctx context.Context, cfg AbortConfig, deadline time.Time, pods bool, check func() (string, error)) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts := metav1.ListOptions{LabelSelector: suc.OwnedSelector}
	open := []changes.Opener{func(ctx context.Context) (watch.Interface, error) {
		return cfg.Kube.BatchV1().Jobs(cfg.Namespace).Watch(ctx, opts)
	}}
	if pods {
		open = append(open, func(ctx context.Context) (watch.Interface, error) {
			return cfg.Kube.CoreV1().Pods(cfg.Namespace).Watch(ctx, opts)
		})
	}
	start := time.Now()
	waiting, err := changes.Until(wctx, changes.Watch(wctx, open...), abortResync, deadline, check)
	if errors.Is(err, changes.ErrDeadline) {
		return fmt.Errorf("%w after %s: %s", errAbortTimeout, time.Since(start).Round(time.Second), waiting)
	}
	return err
}

// abortResync bounds how long abort waits without a change before it reads again.
const abortResync = 10 * time.Second

// awaited are the server Plans (with the nodes that already run their version) that
// the prepare step of a Plan with nodes in flight names, and that upgrade no node
// themselves. A Plan none of whose nodes runs its version yet is left out: narrowed to
// nothing it would select every node again, so freeze deletes it as before.
func awaited(ours []upgradev1.Plan, inFlight map[string][]string, nodes []corev1.Node) map[string][]string {
	byHost := map[string]string{}
	for _, n := range nodes {
		byHost[n.Labels[cluster.LabelHostname]] = n.Status.NodeInfo.KubeletVersion
	}
	out := map[string][]string{}
	for i := range ours {
		prep := ours[i].Spec.Prepare
		if len(inFlight[ours[i].Name]) == 0 || prep == nil || len(prep.Args) != 2 || prep.Args[0] != "prepare" {
			continue
		}
		for j := range ours {
			s := &ours[j]
			if s.Name != prep.Args[1] || len(inFlight[s.Name]) > 0 {
				continue
			}
			var done []string
			for _, h := range suc.SelectedHostnames(s) {
				if byHost[h] == s.Spec.Version {
					done = append(done, h)
				}
			}
			if len(done) > 0 {
				out[s.Name] = done
			}
		}
	}
	return out
}
