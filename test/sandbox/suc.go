package sandbox

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// What a stock SUC install creates (its manifests/system-upgrade-controller.yaml).
const (
	SUCNamespace      = "system-upgrade"
	SUCServiceAccount = "system-upgrade"
	SUCDeployment     = "system-upgrade-controller"
	SUCVersion        = "v0.20.1"
	// sucControllerLabel marks SUC's pods and Jobs; its value is the controller's name.
	sucControllerLabel = "upgrade.cattle.io/controller"
)

// startSUC creates what an install of SUC leaves in the cluster and runs the real
// controller outside it, as that Deployment's pod would. The Deployment never gets a
// pod (no scheduler), so its status is written as available: preflight checks read it.
func (sb *Sandbox) startSUC(ctx context.Context) error {
	if err := InstallSUCObjects(ctx, sb); err != nil {
		return err
	}
	return sb.runSUC(ctx)
}

// RestartSUC stops the system-upgrade-controller and starts it again, as a restart of
// its pod does (an eviction, a node drain, an upgrade of SUC itself): its caches and
// queues are lost, and it rebuilds them from the cluster. It returns once the new
// controller runs and the Plan CRD is served.
func (sb *Sandbox) RestartSUC(ctx context.Context) error {
	if sb.suc == nil {
		return fmt.Errorf("restart system-upgrade-controller: the sandbox runs none (Options.SUC)")
	}
	sb.suc.stop(5 * time.Second)
	if err := sb.runSUC(ctx); err != nil {
		return fmt.Errorf("restart system-upgrade-controller: %w", err)
	}
	return nil
}

// runSUC starts the controller's process and waits until the Plan CRD is served.
func (sb *Sandbox) runSUC(ctx context.Context) error {
	env := []string{
		"SYSTEM_UPGRADE_CONTROLLER_NAME=" + SUCDeployment,
		"SYSTEM_UPGRADE_CONTROLLER_NAMESPACE=" + SUCNamespace,
		"SYSTEM_UPGRADE_CONTROLLER_NODE_NAME=sandbox",
		"SYSTEM_UPGRADE_CONTROLLER_KUBE_CONFIG=" + sb.Kubeconfig,
		"SYSTEM_UPGRADE_CONTROLLER_LEADER_ELECT=false",
		// A failed upgrade pod fails its Job at once (SUC's default retries twice, 10 s
		// and 20 s apart: the same end, later). Operators set it in SUC's Deployment.
		"SYSTEM_UPGRADE_JOB_BACKOFF_LIMIT=0",
	}
	p, err := sb.startProcess("system-upgrade-controller", sb.tools.SUC, nil, env, sb.state.path("logs", "system-upgrade-controller.log"))
	if err != nil {
		return err
	}
	sb.suc = p
	// The controller registers the Plan CRD on start; nothing works before it is served.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if p.exited() {
			return p.failure("start system-upgrade-controller")
		}
		if rl, err := sb.Client.Discovery().ServerResourcesForGroupVersion("upgrade.cattle.io/v1"); err == nil {
			for _, r := range rl.APIResources {
				if r.Name == "plans" {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("start system-upgrade-controller: Plan CRD not served after 60s; log:\n%s", tail(p.logPath, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// InstallSUCObjects creates SUC's namespace, service account, RBAC and an available
// Deployment, as `kubectl apply` of SUC's manifest would leave them. Tests that remove
// SUC (to check the "not installed" path) call it to put SUC back.
func InstallSUCObjects(ctx context.Context, sb *Sandbox) error {
	kube := sb.Client
	create := func(what string, err error) error {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("install SUC: %s: %w", what, err)
		}
		return nil
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: SUCNamespace,
		Labels: map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}}}
	if err := create("namespace", ignore(kube.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}))); err != nil {
		return err
	}
	for _, name := range []string{"default", SUCServiceAccount} {
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: SUCNamespace}}
		if err := create("service account", ignore(kube.CoreV1().ServiceAccounts(SUCNamespace).Create(ctx, sa, metav1.CreateOptions{}))); err != nil {
			return err
		}
	}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "system-upgrade"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: SUCServiceAccount, Namespace: SUCNamespace}},
	}
	if err := create("cluster role binding", ignore(kube.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}))); err != nil {
		return err
	}

	labels := map[string]string{
		"app.kubernetes.io/name":      "system-upgrade-controller",
		"app.kubernetes.io/component": "controller",
		sucControllerLabel:            SUCDeployment,
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: SUCDeployment, Namespace: SUCNamespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType},
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{sucControllerLabel: SUCDeployment}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					ServiceAccountName: SUCServiceAccount,
					Containers: []corev1.Container{{
						Name:  "system-upgrade-controller",
						Image: "rancher/system-upgrade-controller:" + SUCVersion,
					}},
				},
			},
		},
	}
	got, err := kube.AppsV1().Deployments(SUCNamespace).Create(ctx, dep, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		got, err = kube.AppsV1().Deployments(SUCNamespace).Get(ctx, SUCDeployment, metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("install SUC: deployment: %w", err)
	}
	now := metav1.Now()
	got.Status = appsv1.DeploymentStatus{
		ObservedGeneration: got.Generation,
		Replicas:           1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
				Message: "Deployment has minimum availability.", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable",
				Message: "ReplicaSet \"system-upgrade-controller\" has successfully progressed.", LastUpdateTime: now, LastTransitionTime: now},
		},
	}
	if _, err := kube.AppsV1().Deployments(SUCNamespace).UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("install SUC: deployment status: %w", err)
	}
	return nil
}

// ignore drops the object of a (object, error) pair.
func ignore[T any](_ T, err error) error { return err }
