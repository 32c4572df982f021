package suc

import (
	"context"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestPodFailure(t *testing.T) {
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "apply-x", Namespace: "system-upgrade"},
		Spec:       batchv1.JobSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"batch.kubernetes.io/controller-uid": "u1"}}},
	}
	exited := func(code int32, msg string) corev1.ContainerStatus {
		return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Message: msg}}}
	}
	named := func(name string, cs corev1.ContainerStatus) corev1.ContainerStatus { cs.Name = name; return cs }
	pod := func(name string, labels map[string]string, inits, mains []corev1.ContainerStatus) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "system-upgrade", Labels: labels},
			Status:     corev1.PodStatus{InitContainerStatuses: inits, ContainerStatuses: mains},
		}
	}
	ours := map[string]string{"batch.kubernetes.io/controller-uid": "u1"}
	tests := []struct {
		name string
		pods []*corev1.Pod
		want string
	}{
		{"the drain's termination message", []*corev1.Pod{pod("p1", ours,
			[]corev1.ContainerStatus{named("drain", exited(1, "error when evicting pods/\"web\" -n \"shop\""))}, nil)},
			`container drain exited 1: error when evicting pods/"web" -n "shop"`},
		{"the upgrade container's", []*corev1.Pod{pod("p1", ours,
			[]corev1.ContainerStatus{named("cordon", exited(0, ""))}, []corev1.ContainerStatus{named("upgrade", exited(1, "disk full"))})},
			"container upgrade exited 1: disk full"},
		// The fake clientset answers every log request with "fake logs".
		{"no message: the end of the log", []*corev1.Pod{pod("p1", ours, nil, []corev1.ContainerStatus{named("upgrade", exited(2, ""))})},
			"container upgrade exited 2: fake logs"},
		{"a pod of another Job is not read", []*corev1.Pod{pod("p2", map[string]string{"batch.kubernetes.io/controller-uid": "u2"}, nil,
			[]corev1.ContainerStatus{named("upgrade", exited(1, "other"))})}, ""},
		{"no failed container", []*corev1.Pod{pod("p1", ours, nil, []corev1.ContainerStatus{named("upgrade", exited(0, ""))})}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kube := fake.NewClientset()
			for _, p := range tc.pods {
				if _, err := kube.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if got := PodFailure(context.Background(), kube, job); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := PodFailure(context.Background(), fake.NewClientset(), nil); got != "" {
		t.Errorf("a missing Job: %q", got)
	}
}
