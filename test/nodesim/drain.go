package nodesim

import (
	"context"
	"fmt"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// drainOptions are the kubectl drain options SUC put on the Job's drain container.
type drainOptions struct {
	selector       labels.Selector
	force, noEvict bool
	timeout        time.Duration
	present        bool
}

// drainOf reads the arguments of the Job's "drain" init container, as SUC writes them:
// drain <node> --pod-selector <sel> [--ignore-daemonsets] [--force] [--timeout <d>] ...
func drainOf(job *batchv1.Job) drainOptions {
	var o drainOptions
	for _, c := range job.Spec.Template.Spec.InitContainers {
		if c.Name != "drain" {
			continue
		}
		o.present, o.selector, o.timeout = true, labels.Everything(), 0
		args := append(append([]string{}, c.Command...), c.Args...)
		for i := 0; i < len(args); i++ {
			next := func() string {
				if i+1 < len(args) {
					i++
					return args[i]
				}
				return ""
			}
			switch a := args[i]; {
			case a == "--pod-selector":
				if sel, err := labels.Parse(next()); err == nil {
					o.selector = sel
				}
			case a == "--force":
				o.force = true
			case a == "--timeout":
				o.timeout, _ = time.ParseDuration(next())
			case strings.HasPrefix(a, "--disable-eviction"):
				o.noEvict = a != "--disable-eviction=false"
			}
		}
	}
	return o
}

// drainError is what kubectl drain would end with on node, and how long it would
// try first: a pod without a controller fails it at once (without --force); a pod
// whose eviction a PodDisruptionBudget refuses is retried until the timeout. "" when
// the drain goes through. The text is kubectl's own.
func (s *Simulator) drainError(ctx context.Context, node string, o drainOptions) (string, time.Duration) {
	pods, err := s.kube.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return "", 0
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if !drained(p, o.selector) {
			continue
		}
		if metav1.GetControllerOf(p) == nil && !o.force {
			return fmt.Sprintf("error: unable to drain node %q due to error: cannot delete Pods that declare no controller (use --force to override): %s/%s, continuing command...", node, p.Namespace, p.Name), 0
		}
		if o.noEvict || !s.budgetRefuses(ctx, p) {
			continue
		}
		timeout := o.timeout
		if timeout <= 0 {
			timeout = 5 * time.Second // kubectl's default is forever; the simulator gives up sooner
		}
		return fmt.Sprintf("error when evicting pods/%q -n %q (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.\nerror: unable to drain node %q due to error: [error when evicting pods/%q -n %q: global timeout reached: %s], continuing command...",
			p.Name, p.Namespace, node, p.Name, p.Namespace, timeout), timeout
	}
	return "", 0
}

// drained is kubectl drain's choice of pods with --ignore-daemonsets: not a
// DaemonSet's, not a mirror pod, not finished, selected by the pod selector.
func drained(p *corev1.Pod, sel labels.Selector) bool {
	if _, mirror := p.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return false
	}
	if c := metav1.GetControllerOf(p); c != nil && c.Kind == "DaemonSet" {
		return false
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	return sel.Matches(labels.Set(p.Labels))
}

// budgetRefuses is the eviction API's answer: a budget of the pod's namespace that
// selects it refuses when it allows no disruption, or when the disruption controller
// has not yet observed its current generation.
func (s *Simulator) budgetRefuses(ctx context.Context, p *corev1.Pod) bool {
	pdbs, err := s.kube.PolicyV1().PodDisruptionBudgets(p.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	for _, b := range pdbs.Items {
		computed := b.Status.ObservedGeneration >= b.Generation && b.Status.ObservedGeneration > 0
		if b.Spec.Selector == nil || (computed && b.Status.DisruptionsAllowed > 0) {
			continue
		}
		if sel, err := metav1.LabelSelectorAsSelector(b.Spec.Selector); err == nil && sel.Matches(labels.Set(p.Labels)) {
			return true
		}
	}
	return false
}
