package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The workloads are real: a ReplicaSet owns its pods (no ReplicaSet controller runs,
// so it neither adds nor replaces any, and the garbage collector keeps them), the
// scheduler places each pod on the node asked for and the node simulator's kubelet
// starts it, and the disruption controller alone computes each budget's status.

// replicaSet makes a ReplicaSet of that name selecting labels; it goes with the test.
func replicaSet(t *testing.T, name string, labels map[string]string) *appsv1.ReplicaSet {
	t.Helper()
	ctx := context.Background()
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](0), Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}}}}}
	got, err := env.sb.Client.AppsV1().ReplicaSets("default").Create(ctx, rs, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		bg := metav1.DeletePropagationBackground
		_ = env.sb.Client.AppsV1().ReplicaSets("default").Delete(context.Background(), name, metav1.DeleteOptions{PropagationPolicy: &bg})
	})
	return got
}

// workloadPod makes a pod that the scheduler places on node and the simulated kubelet
// starts, owned by owner (nil for none); it waits until the pod is Running and Ready.
func workloadPod(t *testing.T, name, node string, owner *appsv1.ReplicaSet, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "default"}}
	if _, err := env.sb.Client.CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}},
			Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
				NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{
					Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}}}}}}},
		}}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: owner.Name, UID: owner.UID, Controller: ptr.To(true)}}
	}
	if _, err := env.sb.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.sb.Client.CoreV1().Pods("default").Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
	})
	waitFor(t, "pod "+name+" running on "+node, func() (bool, string) {
		got, err := env.sb.Client.CoreV1().Pods("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return got.Spec.NodeName == node && got.Status.Phase == corev1.PodRunning, fmt.Sprintf("on %q, %s", got.Spec.NodeName, got.Status.Phase)
	})
}

// budget makes a PodDisruptionBudget keeping all but allowed of the running pods it
// selects, and waits for the disruption controller to allow exactly that many. It goes
// with the test.
func budget(t *testing.T, name string, match map[string]string, allowed int32) {
	t.Helper()
	ctx := context.Background()
	pods, err := env.sb.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(match).String()})
	if err != nil {
		t.Fatal(err)
	}
	keep := int32(len(pods.Items)) - allowed
	b := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(keep)), Selector: &metav1.LabelSelector{MatchLabels: match}}}
	if _, err := env.sb.Client.PolicyV1().PodDisruptionBudgets("default").Create(ctx, b, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.sb.Client.PolicyV1().PodDisruptionBudgets("default").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	waitFor(t, "the disruption controller's status of budget "+name, func() (bool, string) {
		got, err := env.sb.Client.PolicyV1().PodDisruptionBudgets("default").Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		st := got.Status
		return st.ObservedGeneration == got.Generation && st.DisruptionsAllowed == allowed && st.ExpectedPods == int32(len(pods.Items)),
			fmt.Sprintf("observed generation %d of %d, %d disruptions allowed, %d pods expected", st.ObservedGeneration, got.Generation, st.DisruptionsAllowed, st.ExpectedPods)
	})
}

// TestUpgradeDryRunNamesDrainBlockers: a budget allowing no disruption and a pod with
// no controller on the agents: the dry run names both, with their nodes, and writes
// nothing.
func TestUpgradeDryRunNamesDrainBlockers(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	web := map[string]string{"app": "web"}
	rs := replicaSet(t, "web", web)
	workloadPod(t, "web-1", "k3s-agent-1", rs, web)
	workloadPod(t, "web-2", "k3s-agent-2", rs, web)
	workloadPod(t, "lonely", "k3s-agent-3", nil, nil)
	budget(t, "web", web, 0)
	before := clusterVersions(t)
	r := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--dry-run")
	if r.code != 1 {
		t.Fatalf("want exit 1 (refused): %s", r)
	}
	out := r.stdout + r.stderr
	for _, want := range []string{
		"PodDisruptionBudget default/web allows no disruption of pod default/web-1 on k3s-agent-1",
		"pod default/lonely on k3s-agent-3 has no controller",
		"preflight failed (drain)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, r)
		}
	}
	if after := clusterVersions(t); after != before {
		t.Errorf("the dry run changed the cluster")
	}
}

// TestUpgradeStopsOnABlockedDrain: a budget that allows one disruption at preflight,
// and none once the first agent's drain evicted its pod (no ReplicaSet controller
// replaces it): the disruption controller lowers the budget, the eviction API refuses
// the next agent's pod, kubectl's drain retries until --drain-timeout and fails the
// pod, the Job controller fails the Job; the run stops naming the node and the budget,
// and status names them too.
func TestUpgradeStopsOnABlockedDrain(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	web := map[string]string{"app": "web"}
	rs := replicaSet(t, "web", web)
	for i, node := range []string{"k3s-agent-1", "k3s-agent-2", "k3s-agent-3", "k3s-agent-4", "k3s-agent-5"} {
		workloadPod(t, "web-"+string(rune('1'+i)), node, rs, web)
	}
	budget(t, "web", web, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.sb.Tools.Kubectl, "skew", "upgrade", "--channel-server", k3sChannels(), "--version", "v1.31.13+k3s1",
		"--yes", "--wait", "--drain-timeout", "2s")
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig, "NO_COLOR=1"}
	var stdout syncBuffer
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), "its drain was blocked: PodDisruptionBudget default/web (0 disruptions allowed) refused to evict pod default/web-") ||
		!strings.Contains(stderr.String(), "failed on node k3s-agent-") {
		t.Fatalf("want exit 1 naming the node and the budget, got %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	st := skew(t, "status")
	if !strings.Contains(st.stdout, "drain blocked: PodDisruptionBudget default/web") {
		t.Errorf("status does not name the budget:\n%s", st)
	}
}
