package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// Read lists what Build needs.
func Read(ctx context.Context, kube kubernetes.Interface, plans *suc.Client) (Input, error) {
	in := Input{Namespace: plans.Namespace, Now: time.Now()}
	var err error
	if in.Plans, err = plans.Ours(ctx); err != nil {
		return in, fmt.Errorf("list plans in %s: %w", plans.Namespace, err)
	}
	if len(in.Plans) == 0 {
		return in, nil
	}
	jobs, err := kube.BatchV1().Jobs(plans.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return in, fmt.Errorf("list jobs in %s: %w", plans.Namespace, err)
	}
	in.Jobs = jobs.Items
	in.Nodes, err = cluster.ListAll(ctx, func(o metav1.ListOptions) ([]corev1.Node, string, error) {
		l, err := kube.CoreV1().Nodes().List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return in, fmt.Errorf("list nodes: %w", err)
	}
	readDrainBlockers(ctx, kube, &in)
	return in, nil
}

// readDrainBlockers reads, for each failed Job, why its pod failed (PodFailure) and
// names what stopped its drain when that, the Job's message or its events carry
// kubectl drain's error. What cannot be read is left out:
// the failure is still reported, without its blocker.
func readDrainBlockers(ctx context.Context, kube kubernetes.Interface, in *Input) {
	byName := map[string]*batchv1.Job{}
	for i := range in.Jobs {
		byName[in.Jobs[i].Name] = &in.Jobs[i]
	}
	for _, f := range suc.FailedJobs(in.Jobs) {
		text := f.Message
		if why := suc.PodFailure(ctx, kube, byName[f.Job]); why != "" {
			if in.PodErrors == nil {
				in.PodErrors = map[string]string{}
			}
			in.PodErrors[f.Job] = why
			text += "\n" + why
		}
		if ev, err := kube.CoreV1().Events(in.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + f.Job}); err == nil {
			for _, e := range ev.Items {
				text += "\n" + e.Message
			}
		}
		if b := DrainBlocker(ctx, kube, text); b != "" {
			if in.Blockers == nil {
				in.Blockers = map[string]string{}
			}
			in.Blockers[f.Job] = b
		}
	}
}

// DrainBlocker names what stopped a drain whose kubectl error is in text: the
// PodDisruptionBudget that refused a pod's eviction (read from the cluster), or the
// pod without a controller; "" when text says neither.
func DrainBlocker(ctx context.Context, kube kubernetes.Interface, text string) string {
	b, ok := suc.ParseDrainBlock(text)
	if !ok {
		return ""
	}
	ns, name, _ := strings.Cut(b.Pod, "/")
	switch {
	case b.Unmanaged:
		return fmt.Sprintf("pod %s has no controller: delete it or give it one, or resume with --drain-force", b.Pod)
	case !b.Budget:
		return fmt.Sprintf("pod %s could not be evicted within the drain timeout", b.Pod)
	}
	if p, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
		if l, err := kube.PolicyV1().PodDisruptionBudgets(ns).List(ctx, metav1.ListOptions{}); err == nil {
			for _, pdb := range l.Items {
				sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
				if pdb.Spec.Selector != nil && err == nil && sel.Matches(labels.Set(p.Labels)) {
					return fmt.Sprintf("PodDisruptionBudget %s/%s (%d disruptions allowed) refused to evict pod %s", pdb.Namespace, pdb.Name, pdb.Status.DisruptionsAllowed, b.Pod)
				}
			}
		}
	}
	return fmt.Sprintf("a PodDisruptionBudget refused to evict pod %s", b.Pod)
}
