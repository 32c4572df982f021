package suc

import (
	"context"
	"fmt"
	"sort"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
)

// podLogLines is how much of a failed container's log stands in for its missing
// termination message: kubectl drain's error is its last few lines.
const podLogLines = 10

// PodFailure says in the failed container's own words why a failed Job's pod ended,
// for the Job controller's condition says only which limit the Job reached
// (BackoffLimitExceeded, DeadlineExceeded). It reads the container's termination
// message, else the end of its log (SUC's containers leave the termination message
// empty unless the image writes one); "" when the cluster does not say.
func PodFailure(ctx context.Context, kube kubernetes.Interface, job *batchv1.Job) string {
	if job == nil || job.Spec.Selector == nil {
		return ""
	}
	sel, err := metav1.LabelSelectorAsSelector(job.Spec.Selector)
	if err != nil {
		return ""
	}
	pods, err := kube.CoreV1().Pods(job.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return ""
	}
	// The newest pod first: the last try says the most.
	sort.Slice(pods.Items, func(i, j int) bool {
		return pods.Items[j].CreationTimestamp.Before(&pods.Items[i].CreationTimestamp)
	})
	for i := range pods.Items {
		p := &pods.Items[i]
		c, st, ok := failedContainer(p)
		if !ok {
			continue
		}
		msg := strings.TrimSpace(st.Message)
		if msg == "" {
			msg = containerLog(ctx, kube, p, c)
		}
		if msg == "" {
			return fmt.Sprintf("container %s of pod %s exited %d (kubectl logs -n %s %s -c %s)", c, p.Name, st.ExitCode, p.Namespace, p.Name, c)
		}
		return fmt.Sprintf("container %s exited %d: %s", c, st.ExitCode, msg)
	}
	return ""
}

// failedContainer is the pod's first container, init containers first, that exited
// with an error.
func failedContainer(p *corev1.Pod) (string, *corev1.ContainerStateTerminated, bool) {
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses} {
		for _, cs := range list {
			if t := cs.State.Terminated; t != nil && t.ExitCode != 0 {
				return cs.Name, t, true
			}
		}
	}
	return "", nil, false
}

func containerLog(ctx context.Context, kube kubernetes.Interface, p *corev1.Pod, container string) string {
	b, err := kube.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, TailLines: ptr.To[int64](podLogLines)}).DoRaw(ctx)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
