package rancher

import (
	"context"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
)

// NotFoundError says which of the cluster's objects is missing.
type NotFoundError struct{ What, Namespace, Name string }

func (e *NotFoundError) Error() string {
	if e.Namespace == "" {
		return fmt.Sprintf("%s %s not found on this management cluster", e.What, e.Name)
	}
	return fmt.Sprintf("%s %s/%s not found on this management cluster", e.What, e.Namespace, e.Name)
}

// Read reads the Cluster, its control plane, Machines, snapshots and Rancher's settings.
func Read(ctx context.Context, dyn dynamic.Interface, namespace, name string) (*State, error) {
	return read(ctx, dyn, namespace, name, true)
}

// read reads the cluster; full adds its snapshots and Rancher's settings.
func read(ctx context.Context, dyn dynamic.Interface, namespace, name string, full bool) (*State, error) {
	obj, err := dyn.Resource(ClusterResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &NotFoundError{What: "provisioning.cattle.io Cluster", Namespace: namespace, Name: name}
		}
		return nil, fmt.Errorf("read Cluster %s/%s: %w", namespace, name, err)
	}
	if err := oddFields("provisioning.cattle.io Cluster", obj, clusterFields...); err != nil {
		return nil, err
	}
	s := &State{Cluster: clusterFrom(obj)}
	cp, err := dyn.Resource(ControlPlaneResource).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
	case err != nil:
		return nil, fmt.Errorf("read RKEControlPlane %s/%s: %w", namespace, name, err)
	default:
		if err := oddFields("RKEControlPlane", cp, controlPlaneFields...); err != nil {
			return nil, err
		}
		c := controlPlaneFrom(cp)
		s.ControlPlane = &c
	}
	sel := metav1.ListOptions{LabelSelector: LabelMachineCluster + "=" + name}
	machines, err := dyn.Resource(MachineResource).Namespace(namespace).List(ctx, sel)
	if apierrors.IsNotFound(err) {
		// Newer Cluster API releases serve Machines at v1beta2 only; the fields we read
		// are the same there.
		next := MachineResource
		next.Version = "v1beta2"
		machines, err = dyn.Resource(next).Namespace(namespace).List(ctx, sel)
	}
	if err != nil {
		return nil, fmt.Errorf("list the Machines of %s/%s: %w", namespace, name, err)
	}
	for i := range machines.Items {
		if err := oddFields("Machine", &machines.Items[i], machineFields...); err != nil {
			return nil, err
		}
		s.Machines = append(s.Machines, machineFrom(&machines.Items[i]))
	}
	sort.Slice(s.Machines, func(i, j int) bool { return s.Machines[i].Name < s.Machines[j].Name })
	if !full {
		return s, nil
	}
	if s.Snapshots, err = ListSnapshots(ctx, dyn, namespace, name); err != nil {
		return nil, err
	}
	s.Settings = ReadSettings(ctx, dyn)
	return s, nil
}

// ListSnapshots lists the cluster's ETCDSnapshots, oldest first.
func ListSnapshots(ctx context.Context, dyn dynamic.Interface, namespace, name string) ([]Snapshot, error) {
	l, err := dyn.Resource(SnapshotResource).Namespace(namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelSnapshotCluster + "=" + name})
	if err != nil {
		return nil, fmt.Errorf("list the ETCDSnapshots of %s/%s: %w", namespace, name, err)
	}
	out := make([]Snapshot, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, snapshotFrom(&l.Items[i]))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// ReadSettings reads Rancher's version settings; one that cannot be read stays empty.
func ReadSettings(ctx context.Context, dyn dynamic.Interface) Settings {
	get := func(name string) string {
		o, err := dyn.Resource(SettingResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return ""
		}
		v, _, _ := unstructured.NestedString(o.Object, "value")
		if v == "" {
			v, _, _ = unstructured.NestedString(o.Object, "default")
		}
		return v
	}
	return Settings{SupportedRange: get("ui-k8s-supported-versions-range"), RKE2Default: get("rke2-default-version"),
		K3sDefault: get("k3s-default-version"), ServerVersion: get("server-version")}
}

func str(o map[string]any, path ...string) string {
	s, _, _ := unstructured.NestedString(o, path...)
	return s
}

func num(o map[string]any, path ...string) int64 {
	v, _, _ := unstructured.NestedFieldNoCopy(o, path...)
	switch n := v.(type) {
	case int64:
		return n
	case float64:
		return int64(n)
	}
	return 0
}

func conditions(o map[string]any) []Condition {
	list, _, _ := unstructured.NestedSlice(o, "status", "conditions")
	var out []Condition
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, Condition{Type: str(m, "type"), Status: str(m, "status"), Reason: str(m, "reason"), Message: str(m, "message")})
	}
	return out
}

func clusterFrom(u *unstructured.Unstructured) Cluster {
	o := u.Object
	c := Cluster{Namespace: u.GetNamespace(), Name: u.GetName(), ResourceVersion: u.GetResourceVersion(),
		KubernetesVersion:        str(o, "spec", "kubernetesVersion"),
		ControlPlaneConcurrency:  str(o, "spec", "rkeConfig", "upgradeStrategy", "controlPlaneConcurrency"),
		WorkerConcurrency:        str(o, "spec", "rkeConfig", "upgradeStrategy", "workerConcurrency"),
		SnapshotCreateGeneration: num(o, "spec", "rkeConfig", "etcdSnapshotCreate", "generation"),
		Conditions:               conditions(o), Annotations: u.GetAnnotations(),
		ManagementName: str(o, "status", "clusterName"),
	}
	if r, ok, _ := unstructured.NestedMap(o, "spec", "rkeConfig", "etcdSnapshotRestore"); ok && r != nil {
		c.Restore = &Restore{Name: str(r, "name"), Generation: num(r, "generation"), RestoreRKEConfig: str(r, "restoreRKEConfig")}
	}
	return c
}

func controlPlaneFrom(u *unstructured.Unstructured) ControlPlane {
	o := u.Object
	return ControlPlane{Conditions: conditions(o), AppliedVersion: str(o, "status", "appliedSpec", "kubernetesVersion"),
		SnapshotCreatePhase: str(o, "status", "etcdSnapshotCreatePhase"), SnapshotCreateGeneration: num(o, "status", "etcdSnapshotCreate", "generation"),
		RestorePhase: str(o, "status", "etcdSnapshotRestorePhase"), RestoreGeneration: num(o, "status", "etcdSnapshotRestore", "generation")}
}

func machineFrom(u *unstructured.Unstructured) Machine {
	l := u.GetLabels()
	return Machine{Name: u.GetName(), Node: str(u.Object, "status", "nodeRef", "name"),
		Etcd: l[LabelEtcdRole] == "true", Control: l[LabelControlPlane] == "true", Worker: l[LabelWorkerRole] == "true",
		KubeletVersion: str(u.Object, "status", "nodeInfo", "kubeletVersion"), Phase: str(u.Object, "status", "phase")}
}

func snapshotFrom(u *unstructured.Unstructured) Snapshot {
	o := u.Object
	s := Snapshot{Name: u.GetName(), Cluster: u.GetLabels()[LabelSnapshotCluster], Node: str(o, "snapshotFile", "nodeName"),
		Location: str(o, "snapshotFile", "location"), Status: str(o, "snapshotFile", "status")}
	if t, err := time.Parse(time.RFC3339, str(o, "snapshotFile", "createdAt")); err == nil {
		s.CreatedAt = t
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = u.GetCreationTimestamp().Time
	}
	s.KubernetesVersion = specVersion(str(o, "snapshotFile", "metadata"))
	return s
}
