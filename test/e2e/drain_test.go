package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// No kubelet, scheduler or controller-manager runs in the sandbox: the tests write the
// pods bound to nodes, and the budgets' status, themselves.

// workloadPod makes a Running, Ready pod on node; owner "Kind/name" ("" for none).
func workloadPod(t *testing.T, name, node, owner string, labels map[string]string) {
	t.Helper()
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "default"}}
	if _, err := env.sb.Client.CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: labels},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "registry.example/app:1"}}}}
	if kind, n, ok := strings.Cut(owner, "/"); ok {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: n, UID: types.UID("uid-" + n), Controller: ptr.To(true)}}
	}
	got, err := env.sb.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got.Status.Phase = corev1.PodRunning
	got.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if _, err := env.sb.Client.CoreV1().Pods("default").UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// budget makes a PodDisruptionBudget and writes the status the disruption controller
// would: allowed disruptions, observed at its generation. It goes with the test.
func budget(t *testing.T, name string, match map[string]string, allowed int32) {
	t.Helper()
	ctx := context.Background()
	b := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{MatchLabels: match}}}
	got, err := env.sb.Client.PolicyV1().PodDisruptionBudgets("default").Create(ctx, b, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = env.sb.Client.PolicyV1().PodDisruptionBudgets("default").Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	setAllowed(t, got, allowed)
}

func setAllowed(t *testing.T, b *policyv1.PodDisruptionBudget, allowed int32) {
	t.Helper()
	b.Status.ObservedGeneration, b.Status.DisruptionsAllowed = b.Generation, allowed
	b.Status.CurrentHealthy, b.Status.DesiredHealthy, b.Status.ExpectedPods = 1+allowed, 1, 1+allowed
	if _, err := env.sb.Client.PolicyV1().PodDisruptionBudgets("default").UpdateStatus(context.Background(), b, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestUpgradeDryRunNamesDrainBlockers: a budget allowing no disruption and a pod with
// no controller on the agents: the dry run names both, with their nodes, and writes
// nothing.
func TestUpgradeDryRunNamesDrainBlockers(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	web := map[string]string{"app": "web"}
	workloadPod(t, "web-1", "k3s-agent-1", "ReplicaSet/web", web)
	workloadPod(t, "web-2", "k3s-agent-2", "ReplicaSet/web", web)
	workloadPod(t, "lonely", "k3s-agent-3", "", nil)
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

// TestUpgradeStopsOnABlockedDrain: a budget that allows a disruption at preflight
// and none once the agents go: the simulated drain retries until --drain-timeout and
// fails the Job as kubectl drain does; the run stops naming the node and the budget,
// and status names them too.
func TestUpgradeStopsOnABlockedDrain(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	web := map[string]string{"app": "web"}
	for i, node := range []string{"k3s-agent-1", "k3s-agent-2", "k3s-agent-3", "k3s-agent-4", "k3s-agent-5"} {
		workloadPod(t, "web-"+string(rune('1'+i)), node, "ReplicaSet/web", web)
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
	for !strings.Contains(stdout.String(), "releasing the agents") {
		if ctx.Err() != nil {
			t.Fatalf("the agents were never released:\n%s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	b, err := env.sb.Client.PolicyV1().PodDisruptionBudgets("default").Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	setAllowed(t, b, 0)
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
