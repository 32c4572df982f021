package status

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// Read lists what Build needs.
func Read(ctx context.Context, kube kubernetes.Interface, plans *suc.Client) (Input, error) {
	in := Input{Namespace: plans.Namespace}
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

// readDrainBlockers reads, for failed Jobs only, their events and the pods and
// budgets their drain errors name. What cannot be read is left out: the failure is
// still reported, without its blocker.
func readDrainBlockers(ctx context.Context, kube kubernetes.Interface, in *Input) {
	for _, f := range suc.FailedJobs(in.Jobs) {
		if ev, err := kube.CoreV1().Events(in.Namespace).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=" + f.Job}); err == nil {
			in.Events = append(in.Events, ev.Items...)
		}
		b, ok := suc.ParseDrainBlock(drainText(f.Message, f.Job, in.Events))
		if !ok {
			continue
		}
		ns, name, _ := strings.Cut(b.Pod, "/")
		if p, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
			in.Pods = append(in.Pods, *p)
		}
		if l, err := kube.PolicyV1().PodDisruptionBudgets(ns).List(ctx, metav1.ListOptions{}); err == nil {
			in.PDBs = append(in.PDBs, l.Items...)
		}
	}
}

// drainText is a failed Job's message and its events' messages, where kubectl
// drain's error may stand.
func drainText(msg, job string, events []corev1.Event) string {
	parts := []string{msg}
	for _, e := range events {
		if e.InvolvedObject.Name == job {
			parts = append(parts, e.Message)
		}
	}
	return strings.Join(parts, "\n")
}

// blocker names what stopped a failed drain, from kubectl drain's error text.
func blocker(in Input, job, msg string) string {
	b, ok := suc.ParseDrainBlock(drainText(msg, job, in.Events))
	if !ok {
		return ""
	}
	if b.Unmanaged {
		return fmt.Sprintf("pod %s has no controller: delete it or give it one, or resume with --drain-force", b.Pod)
	}
	if !b.Budget {
		return fmt.Sprintf("pod %s could not be evicted in time", b.Pod)
	}
	for _, p := range in.Pods {
		if p.Namespace+"/"+p.Name != b.Pod {
			continue
		}
		for _, pdb := range in.PDBs {
			sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
			if pdb.Namespace == p.Namespace && pdb.Spec.Selector != nil && err == nil && sel.Matches(labels.Set(p.Labels)) {
				return fmt.Sprintf("PodDisruptionBudget %s/%s (%d disruptions allowed) refused to evict pod %s", pdb.Namespace, pdb.Name, pdb.Status.DisruptionsAllowed, b.Pod)
			}
		}
	}
	return fmt.Sprintf("a PodDisruptionBudget refused to evict pod %s", b.Pod)
}
