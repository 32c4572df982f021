package preflight

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// checkController: the Plan CRD is served, the controller is available, its
// service account exists.
func checkController(v verdicts, f *Facts, o Options) {
	switch {
	case f.PlanAPIErr != nil:
		v.add(CheckPlanCRD, Fail, "discovery of upgrade.cattle.io/v1 failed: "+f.PlanAPIErr.Error(), "check that the apiserver is healthy, then retry")
	case !f.PlanAPIServed:
		v.add(CheckPlanCRD, Fail, "the API upgrade.cattle.io/v1 plans is not served: the system-upgrade-controller is not installed", SUCInstallHint)
	default:
		v.add(CheckPlanCRD, Pass, "upgrade.cattle.io/v1 plans is served", "")
	}

	dep, derr := f.Deployment, f.DeploymentErr
	name := o.Namespace + "/" + o.Deployment
	switch {
	case apierrors.IsNotFound(derr):
		v.add(CheckController, Fail, fmt.Sprintf("deployment %s not found", name), SUCInstallHint+" (or point --suc-namespace at the namespace it runs in)")
	case apierrors.IsForbidden(derr):
		v.add(CheckController, Skipped, fmt.Sprintf("cannot read deployment %s (forbidden), so its availability is unknown", name), "ask for get on deployments in "+o.Namespace)
	case derr != nil:
		v.add(CheckController, Fail, fmt.Sprintf("read deployment %s: %v", name, derr), "retry once the apiserver answers")
	case dep == nil:
		v.add(CheckController, Skipped, fmt.Sprintf("deployment %s was not read", name), "")
	case !available(dep):
		v.add(CheckController, Fail, fmt.Sprintf("deployment %s has no available replica (%d/%d ready): Plans would never run", name, dep.Status.AvailableReplicas, replicas(dep)),
			fmt.Sprintf("kubectl -n %s describe deployment %s, and fix what keeps its pod from running", o.Namespace, o.Deployment))
	default:
		v.add(CheckController, Pass, fmt.Sprintf("deployment %s available (%s)", name, imageOf(dep)), "")
	}

	sa := o.Namespace + "/" + o.ServiceAccount
	switch serr := f.ServiceAccountErr; {
	case apierrors.IsNotFound(serr):
		v.add(CheckServiceAccount, Fail, fmt.Sprintf("service account %s not found: the upgrade Jobs run as it", sa), SUCInstallHint+" (or name the right one with --service-account)")
	case apierrors.IsForbidden(serr):
		v.add(CheckServiceAccount, Skipped, fmt.Sprintf("cannot read service account %s (forbidden)", sa), "")
	case serr != nil:
		v.add(CheckServiceAccount, Fail, fmt.Sprintf("read service account %s: %v", sa, serr), "retry once the apiserver answers")
	default:
		v.add(CheckServiceAccount, Pass, fmt.Sprintf("service account %s exists", sa), "")
	}
}

func available(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue && d.Status.AvailableReplicas > 0
		}
	}
	return d.Status.AvailableReplicas > 0
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func imageOf(d *appsv1.Deployment) string {
	if c := d.Spec.Template.Spec.Containers; len(c) > 0 {
		return c[0].Image
	}
	return "no container"
}
