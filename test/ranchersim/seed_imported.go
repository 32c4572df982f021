package ranchersim

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// ImportedFixture is an imported K3s or RKE2 cluster as Rancher shows it when idle:
// its management Cluster (c-m-…) and its management Nodes, all on Version.
type ImportedFixture struct {
	Name, DisplayName string
	// Driver is k3s or rke2.
	Driver  string
	Version string
	// Nodes: roles "control-plane", "etcd", "worker"; a node with "windows" in its
	// roles reports OS windows.
	Nodes []MachineSpec
	// Strategy: nil is what Rancher writes when it first sets the config (1 and 1,
	// no drains).
	Strategy    *rancher.Strategy
	Annotations map[string]string
	// NoManagedSUC leaves the agent without Rancher's managed system-upgrade-controller;
	// by default it has it, as Rancher gives it when version management is on.
	NoManagedSUC bool
	Settings     map[string]string
}

// SeedImported writes the fixture, replacing objects of the same names.
func SeedImported(ctx context.Context, kube kubernetes.Interface, dyn dynamic.Interface, f ImportedFixture) error {
	if err := RemoveImported(ctx, dyn, f.Name); err != nil {
		return err
	}
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: f.Name}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	cl := obj("management.cattle.io/v3", "Cluster", "", f.Name, nil)
	cl.SetAnnotations(f.Annotations)
	strategy := rancher.Strategy{ServerConcurrency: 1, WorkerConcurrency: 1}
	if f.Strategy != nil {
		strategy = *f.Strategy
	}
	st := map[string]any{"serverConcurrency": strategy.ServerConcurrency, "workerConcurrency": strategy.WorkerConcurrency,
		"drainServerNodes": strategy.DrainServerNodes, "drainWorkerNodes": strategy.DrainWorkerNodes}
	cl.Object["spec"] = map[string]any{"displayName": f.DisplayName,
		f.Driver + "Config": map[string]any{"kubernetesVersion": f.Version, f.Driver + "upgradeStrategy": st}}
	cl.Object["status"] = map[string]any{"driver": f.Driver, "version": map[string]any{"gitVersion": f.Version},
		"agentFeatures": map[string]any{rancher.FeatureManagedSUC: !f.NoManagedSUC},
		"conditions":    conds("True", "", "", "Ready", rancher.ConditionUpgraded)}
	if err := createWithStatus(ctx, dyn, rancher.ManagementClusterResource, cl); err != nil {
		return err
	}
	for _, n := range f.Nodes {
		spec, os := map[string]any{}, "linux"
		for _, r := range n.Roles {
			switch r {
			case "control-plane":
				spec["controlPlane"] = true
			case "etcd":
				spec["etcd"] = true
			case "worker":
				spec["worker"] = true
			case "windows":
				os = "windows"
			}
		}
		// Rancher names a Node m-xxxxx; status.nodeName is the downstream node.
		no := obj("management.cattle.io/v3", "Node", f.Name, "m-"+n.Name, nil)
		no.Object["spec"] = spec
		no.Object["status"] = map[string]any{"nodeName": n.Name, "nodeLabels": map[string]any{corev1.LabelOSStable: os, corev1.LabelHostname: n.Name},
			"internalNodeStatus": map[string]any{"nodeInfo": map[string]any{"kubeletVersion": f.Version, "operatingSystem": os},
				"conditions": []any{map[string]any{"type": "Ready", "status": "True"}}}}
		if err := createWithStatus(ctx, dyn, rancher.ManagementNodeResource, no); err != nil {
			return err
		}
	}
	// Rancher (v2.6 and later) lists every imported cluster in fleet-default too: a
	// provisioning Cluster named as the cluster was imported, without rkeConfig,
	// whose status.clusterName is the management Cluster.
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ImportedNamespace}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	// Names are unique there: a second cluster imported under a taken name gets its
	// management name.
	for _, name := range []string{ImportedProvisioningName(f), f.Name} {
		pc := obj("provisioning.cattle.io/v1", "Cluster", ImportedNamespace, name, nil)
		pc.Object["spec"] = map[string]any{}
		pc.Object["status"] = map[string]any{"clusterName": f.Name, "ready": true}
		_, err := dyn.Resource(rancher.ClusterResource).Namespace(ImportedNamespace).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			continue // taken by another cluster
		}
		if err := createWithStatus(ctx, dyn, rancher.ClusterResource, pc); err != nil {
			return err
		}
		break
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

// ImportedNamespace is where Rancher lists imported clusters as provisioning Clusters.
const ImportedNamespace = "fleet-default"

// ImportedProvisioningName is the name Rancher gives the provisioning Cluster of an
// imported cluster: the name it was imported under (its display name).
func ImportedProvisioningName(f ImportedFixture) string {
	if f.DisplayName != "" {
		return f.DisplayName
	}
	return f.Name
}

// RemoveImported deletes an imported fixture's Cluster, Nodes and the provisioning
// Cluster that stands for it.
func RemoveImported(ctx context.Context, dyn dynamic.Interface, name string) error {
	l, err := dyn.Resource(rancher.ClusterResource).Namespace(ImportedNamespace).List(ctx, metav1.ListOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if l != nil {
		for _, c := range l.Items {
			if mgmt, _, _ := unstructured.NestedString(c.Object, "status", "clusterName"); mgmt == name {
				if err := dyn.Resource(rancher.ClusterResource).Namespace(ImportedNamespace).Delete(ctx, c.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
					return err
				}
			}
		}
	}
	if err := dyn.Resource(rancher.ManagementNodeResource).Namespace(name).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err := dyn.Resource(rancher.ManagementClusterResource).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
