package upgrade

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

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
	selected := map[string]bool{} // hostnames any of our Plans selects
	for i := range ours {
		res.Plans = append(res.Plans, ours[i].Name)
		for _, h := range suc.SelectedHostnames(&ours[i]) {
			selected[h] = true
		}
		res.Finished = append(res.Finished, ours[i].Status.Applying...)
	}
	if !cfg.DryRun {
		if err := freeze(ctx, plans, ours, emit); err != nil {
			return res, err
		}
		if err := waitFinished(ctx, cfg, ours, emit); err != nil {
			return res, err
		}
		for _, name := range res.Plans {
			if err := plans.Delete(ctx, name, false); err != nil {
				return res, err
			}
			emit("plan.upgrade.cattle.io/%s deleted", name)
		}
	}
	nodes, err := cfg.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return res, fmt.Errorf("list nodes: %w", err)
	}
	jobs, err := cfg.Kube.BatchV1().Jobs(cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector})
	if err != nil {
		return res, fmt.Errorf("list jobs in %s: %w", cfg.Namespace, err)
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

// freeze narrows each of our Plans to the nodes it is upgrading now, so that the
// controller starts no other; a Plan upgrading none is deleted at once. The Plan's
// hash does not cover its selector: the Jobs in flight go on.
func freeze(ctx context.Context, plans *suc.Client, ours []upgradev1.Plan, emit func(string, ...any)) error {
	for i := range ours {
		p := ours[i].DeepCopy()
		if len(p.Status.Applying) == 0 {
			if err := plans.Delete(ctx, p.Name, false); err != nil {
				return err
			}
			emit("plan.upgrade.cattle.io/%s deleted: it upgraded no node", p.Name)
			continue
		}
		for j, r := range p.Spec.NodeSelector.MatchExpressions {
			if r.Key == cluster.LabelHostname {
				p.Spec.NodeSelector.MatchExpressions[j].Values = append([]string{}, p.Status.Applying...)
			}
		}
		if _, err := plans.Apply(ctx, []*upgradev1.Plan{p}, suc.ApplyOptions{}); err != nil {
			return err
		}
		emit("plan.upgrade.cattle.io/%s narrowed to %v: no further node starts; those finish", p.Name, p.Status.Applying)
	}
	return nil
}

// errAbortTimeout ends an abort whose in-flight nodes did not finish in time.
var errAbortTimeout = errors.New("nodes still upgrading")

// waitFinished waits until the Job of every node that was upgrading has completed or
// failed.
func waitFinished(ctx context.Context, cfg AbortConfig, ours []upgradev1.Plan, emit func(string, ...any)) error {
	limit := cfg.Timeout
	if limit <= 0 {
		limit = DefaultNodeTimeout
	}
	deadline := time.Now().Add(limit)
	for {
		jobs, err := cfg.Kube.BatchV1().Jobs(cfg.Namespace).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector})
		if err != nil {
			return fmt.Errorf("list jobs in %s: %w", cfg.Namespace, err)
		}
		latest := suc.LatestJobs(jobs.Items)
		var running []string
		for i := range ours {
			for _, h := range ours[i].Status.Applying {
				j := latest[suc.JobKey{Plan: ours[i].Name, Node: h}]
				if _, failed := suc.JobFailed(j); j != nil && !failed && !suc.JobComplete(j) {
					running = append(running, h)
				}
			}
		}
		if len(running) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w after %s: %v; their Plans are narrowed to them, so no other node starts; run abort again once they finish", errAbortTimeout, limit, running)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
