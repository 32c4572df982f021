package hazard

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

type (
	batchJob          = batchv1.Job
	networkingIngress = networkingv1.Ingress
)

// jobFailed is the Job controller's verdict: a Failed condition, or failed pods and
// no success yet (an install still retrying is stuck just the same for the hop).
func jobFailed(j batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return j.Status.Failed > 0 && j.Status.Succeeded == 0
}

// readWorkloads finds Deployments, DaemonSets and StatefulSets whose pod template
// selects, prefers or tolerates the master label.
func readWorkloads(ctx context.Context, c Clients, p *partial) error {
	check := func(kind, ns, name string, spec *corev1.PodSpec) {
		if usesMaster(spec.NodeSelector, spec.Affinity, spec.Tolerations) {
			p.master = append(p.master, Object{Kind: kind, Namespace: ns, Name: name, Detail: "pod template nodeSelector, affinity or tolerations"})
		}
	}
	deps, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]appsv1.Deployment, string, error) {
		l, err := c.Kube.AppsV1().Deployments(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return err
	}
	for i := range deps {
		check("deployment", deps[i].Namespace, deps[i].Name, &deps[i].Spec.Template.Spec)
	}
	dss, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]appsv1.DaemonSet, string, error) {
		l, err := c.Kube.AppsV1().DaemonSets(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return err
	}
	for i := range dss {
		check("daemonset", dss[i].Namespace, dss[i].Name, &dss[i].Spec.Template.Spec)
	}
	sts, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]appsv1.StatefulSet, string, error) {
		l, err := c.Kube.AppsV1().StatefulSets(metav1.NamespaceAll).List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return err
	}
	for i := range sts {
		check("statefulset", sts[i].Namespace, sts[i].Name, &sts[i].Spec.Template.Spec)
	}
	return nil
}
