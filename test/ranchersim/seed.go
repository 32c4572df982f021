package ranchersim

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// MachineSpec is one node of a fixture: its name and roles ("etcd", "control-plane", "worker").
type MachineSpec struct {
	Name  string
	Roles []string
}

// Fixture is a provisioned cluster as Rancher would show it when idle.
type Fixture struct {
	Namespace, Name string
	Version         string
	Machines        []MachineSpec
	// Settings are the management.cattle.io settings (name to value).
	Settings map[string]string
}

// Seed writes the fixture: the Cluster, its RKEControlPlane, Machines (status through
// the status subresource, as controllers write it) and the settings. Existing objects
// of the same names are replaced.
func Seed(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, f Fixture) error {
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.Namespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	if err := Remove(ctx, dyn, f.Namespace, f.Name); err != nil {
		return err
	}
	cl := obj("provisioning.cattle.io/v1", "Cluster", f.Namespace, f.Name, nil)
	cl.Object["spec"] = map[string]any{"kubernetesVersion": f.Version, "rkeConfig": map[string]any{
		"upgradeStrategy": map[string]any{"controlPlaneConcurrency": "1", "workerConcurrency": "1"},
	}}
	cl.Object["status"] = map[string]any{"clusterName": "c-m-" + f.Name, "ready": true, "conditions": conds("True", "", "", "Ready", "Updated", "Provisioned")}
	if err := createWithStatus(ctx, dyn, rancher.ClusterResource, cl); err != nil {
		return err
	}
	cp := obj("rke.cattle.io/v1", "RKEControlPlane", f.Namespace, f.Name, nil)
	cp.Object["spec"] = map[string]any{"kubernetesVersion": f.Version}
	cp.Object["status"] = map[string]any{"appliedSpec": map[string]any{"kubernetesVersion": f.Version}, "conditions": conds("True", "", "", "Ready", "Stable", "Reconciled")}
	if err := createWithStatus(ctx, dyn, rancher.ControlPlaneResource, cp); err != nil {
		return err
	}
	for _, m := range f.Machines {
		labels := map[string]string{rancher.LabelMachineCluster: f.Name}
		for _, r := range m.Roles {
			switch r {
			case "etcd":
				labels[rancher.LabelEtcdRole] = "true"
			case "control-plane":
				labels[rancher.LabelControlPlane] = "true"
			case "worker":
				labels[rancher.LabelWorkerRole] = "true"
			}
		}
		mo := obj("cluster.x-k8s.io/v1beta1", "Machine", f.Namespace, m.Name, labels)
		mo.Object["spec"] = map[string]any{"clusterName": f.Name}
		mo.Object["status"] = map[string]any{"phase": "Running", "nodeRef": map[string]any{"name": m.Name}, "nodeInfo": map[string]any{"kubeletVersion": f.Version}}
		if err := createWithStatus(ctx, dyn, rancher.MachineResource, mo); err != nil {
			return err
		}
	}
	for name, value := range f.Settings {
		s := obj("management.cattle.io/v3", "Setting", "", name, nil)
		s.Object["value"] = value
		_ = dyn.Resource(rancher.SettingResource).Delete(ctx, name, metav1.DeleteOptions{})
		if _, err := dyn.Resource(rancher.SettingResource).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create setting %s: %w", name, err)
		}
	}
	return nil
}

// Remove deletes a fixture's objects.
func Remove(ctx context.Context, dyn dynamic.Interface, namespace, name string) error {
	del := metav1.DeleteOptions{}
	for _, gvr := range []struct {
		res   dynamic.NamespaceableResourceInterface
		label string
	}{{dyn.Resource(rancher.MachineResource), rancher.LabelMachineCluster}, {dyn.Resource(rancher.SnapshotResource), rancher.LabelSnapshotCluster}} {
		if err := gvr.res.Namespace(namespace).DeleteCollection(ctx, del, metav1.ListOptions{LabelSelector: gvr.label + "=" + name}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for _, r := range []dynamic.NamespaceableResourceInterface{dyn.Resource(rancher.ClusterResource), dyn.Resource(rancher.ControlPlaneResource)} {
		if err := r.Namespace(namespace).Delete(ctx, name, del); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func obj(apiVersion, kind, namespace, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	u.SetNamespace(namespace)
	u.SetName(name)
	u.SetLabels(labels)
	return u
}

func createWithStatus(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, u *unstructured.Unstructured) error {
	status := u.Object["status"]
	created, err := dyn.Resource(gvr).Namespace(u.GetNamespace()).Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	created.Object["status"] = status
	if _, err := dyn.Resource(gvr).Namespace(u.GetNamespace()).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("status of %s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// conds builds conditions of the given types, all with one status, reason and message.
func conds(status, reason, message string, types ...string) []any {
	now := time.Now().UTC().Format(time.RFC3339)
	out := make([]any, 0, len(types))
	for _, t := range types {
		out = append(out, map[string]any{"type": t, "status": status, "reason": reason, "message": message, "lastUpdateTime": now})
	}
	return out
}
