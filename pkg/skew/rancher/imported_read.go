package rancher

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// AmbiguousError is a display name that more than one imported cluster has.
type AmbiguousError struct {
	Ref        string
	Candidates []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%q is the display name of %d imported clusters (%s): name one by its Cluster name", e.Ref, len(e.Candidates), strings.Join(e.Candidates, ", "))
}

// FindImported looks ref up among the management Clusters: by Cluster name
// (c-m-xxxxxxxx) first, then by display name. It returns "" when ref names no
// imported K3s/RKE2 cluster (a provisioned cluster keeps its own path), and an
// AmbiguousError when the display name is not unique. Management Clusters that
// are not served give ""; without permission to list them, only a Cluster name works.
func FindImported(ctx context.Context, dyn dynamic.Interface, ref string) (string, error) {
	l, err := dyn.Resource(ManagementClusterResource).List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		// A user granted one Cluster by name can still name it by its Cluster name.
		one, gerr := dyn.Resource(ManagementClusterResource).Get(ctx, ref, metav1.GetOptions{})
		if gerr != nil {
			return "", nil
		}
		return MatchImported([]ImportedCluster{importedFrom(one)}, ref)
	}
	if err != nil {
		if apierrors.IsNotFound(err) {
			return "", nil
		}
		return "", fmt.Errorf("list the management.cattle.io Clusters: %w", err)
	}
	clusters := make([]ImportedCluster, 0, len(l.Items))
	for i := range l.Items {
		clusters = append(clusters, importedFrom(&l.Items[i]))
	}
	return MatchImported(clusters, ref)
}

// ImportedBehind is the imported cluster a provisioning.cattle.io Cluster stands
// for, or "": Rancher (v2.6 and later) lists every imported cluster in fleet-default
// too, as a provisioning Cluster with no rkeConfig whose status.clusterName is the
// management Cluster (c-m-…), and that name is the one in its UI's URLs. A Cluster
// that is not there, or that Rancher provisioned, gives "".
func ImportedBehind(ctx context.Context, dyn dynamic.Interface, namespace, name string) (string, error) {
	obj, err := dyn.Resource(ClusterResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		// Forbidden: taken for a provisioned cluster, whose up-front permission check
		// then names what this identity lacks.
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read Cluster %s/%s: %w", namespace, name, err)
	}
	if rke, ok, _ := unstructured.NestedMap(obj.Object, "spec", "rkeConfig"); ok && rke != nil {
		return "", nil
	}
	mgmt := str(obj.Object, "status", "clusterName")
	if mgmt == "" {
		return "", nil
	}
	one, err := dyn.Resource(ManagementClusterResource).Get(ctx, mgmt, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the management Cluster %s behind %s/%s: %w", mgmt, namespace, name, err)
	}
	if c := importedFrom(one); !c.IsImported() {
		return "", nil
	}
	return mgmt, nil
}

// MatchImported picks the imported cluster ref names (see FindImported).
func MatchImported(clusters []ImportedCluster, ref string) (string, error) {
	var byDisplay []string
	for _, c := range clusters {
		if !c.IsImported() {
			continue
		}
		if c.Name == ref {
			return c.Name, nil
		}
		if c.DisplayName == ref {
			byDisplay = append(byDisplay, c.Name)
		}
	}
	sort.Strings(byDisplay)
	switch len(byDisplay) {
	case 0:
		return "", nil
	case 1:
		return byDisplay[0], nil
	}
	return "", &AmbiguousError{Ref: ref, Candidates: byDisplay}
}

// IsImported: status.driver k3s or rke2, with its config set. A provisioned cluster
// shows driver "imported" (provider k3s/rke2) and is not one.
func (c *ImportedCluster) IsImported() bool {
	return (c.Driver == DriverK3s || c.Driver == DriverRKE2) && c.Version != ""
}

// ReadImported reads the management Cluster, its Nodes and Rancher's settings.
func ReadImported(ctx context.Context, dyn dynamic.Interface, name string) (*ImportedState, error) {
	s, err := RefreshImported(ctx, dyn, name)
	if err != nil {
		return nil, err
	}
	s.Settings = ReadSettings(ctx, dyn)
	if o, err := dyn.Resource(SettingResource).Get(ctx, SettingVersionManagement, metav1.GetOptions{}); err == nil {
		s.VersionManagementSetting = str(o.Object, "value")
		if s.VersionManagementSetting == "" {
			s.VersionManagementSetting = str(o.Object, "default")
		}
	}
	return s, nil
}

// RefreshImported reads what changes while Rancher works: the Cluster and its Nodes.
func RefreshImported(ctx context.Context, dyn dynamic.Interface, name string) (*ImportedState, error) {
	obj, err := dyn.Resource(ManagementClusterResource).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &NotFoundError{What: "management.cattle.io Cluster", Name: name}
		}
		return nil, fmt.Errorf("read Cluster %s: %w", name, err)
	}
	s := &ImportedState{Cluster: importedFrom(obj)}
	nodes, err := dyn.Resource(ManagementNodeResource).Namespace(name).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list the Nodes of %s: %w", name, err)
	}
	for i := range nodes.Items {
		s.Nodes = append(s.Nodes, importedNodeFrom(&nodes.Items[i]))
	}
	sort.Slice(s.Nodes, func(i, j int) bool { return s.Nodes[i].Node < s.Nodes[j].Node })
	return s, nil
}

func importedFrom(u *unstructured.Unstructured) ImportedCluster {
	o := u.Object
	c := ImportedCluster{Name: u.GetName(), ResourceVersion: u.GetResourceVersion(), DisplayName: str(o, "spec", "displayName"),
		Driver: str(o, "status", "driver"), StatusVersion: str(o, "status", "version", "gitVersion"),
		Conditions: conditions(o), Annotations: u.GetAnnotations()}
	if c.Driver == DriverK3s || c.Driver == DriverRKE2 {
		cfg := configKey(c.Driver)
		c.Version = str(o, "spec", cfg, "kubernetesVersion")
		st := strategyKey(c.Driver)
		c.Strategy = Strategy{ServerConcurrency: num(o, "spec", cfg, st, "serverConcurrency"), WorkerConcurrency: num(o, "spec", cfg, st, "workerConcurrency")}
		c.Strategy.DrainServerNodes, _, _ = unstructured.NestedBool(o, "spec", cfg, st, "drainServerNodes")
		c.Strategy.DrainWorkerNodes, _, _ = unstructured.NestedBool(o, "spec", cfg, st, "drainWorkerNodes")
	}
	if f, ok, _ := unstructured.NestedMap(o, "status", "agentFeatures"); ok {
		c.AgentFeatures = map[string]bool{}
		for k, v := range f {
			b, _ := v.(bool)
			c.AgentFeatures[k] = b
		}
	}
	return c
}

func importedNodeFrom(u *unstructured.Unstructured) ImportedNode {
	o := u.Object
	n := ImportedNode{Name: u.GetName(), Node: str(o, "status", "nodeName"),
		KubeletVersion: str(o, "status", "internalNodeStatus", "nodeInfo", "kubeletVersion")}
	n.ControlPlane, _, _ = unstructured.NestedBool(o, "spec", "controlPlane")
	n.Etcd, _, _ = unstructured.NestedBool(o, "spec", "etcd")
	n.Worker, _, _ = unstructured.NestedBool(o, "spec", "worker")
	labels, _, _ := unstructured.NestedStringMap(o, "status", "nodeLabels")
	n.OS = labels[corev1.LabelOSStable]
	if n.Node == "" {
		n.Node = n.Name
	}
	list, _, _ := unstructured.NestedSlice(o, "status", "internalNodeStatus", "conditions")
	for _, item := range list {
		if m, ok := item.(map[string]any); ok && str(m, "type") == "Ready" {
			n.Ready = str(m, "status")
		}
	}
	return n
}
