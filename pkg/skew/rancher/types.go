// Package rancher reads and drives a cluster that Rancher provisioned (provisioning
// v2: RKE2 or K3s), through the Rancher management cluster's own API: the
// provisioning.cattle.io Cluster, its rke.cattle.io RKEControlPlane, the CAPI Machines
// and the ETCDSnapshots (docs/rancher.md). Rancher itself accepts any version change;
// this package moves a cluster one minor at a time, after a snapshot, and rolls back by
// restoring it.
package rancher

import (
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The resources this mode reads and writes on the management cluster.
var (
	ClusterResource      = schema.GroupVersionResource{Group: "provisioning.cattle.io", Version: "v1", Resource: "clusters"}
	ControlPlaneResource = schema.GroupVersionResource{Group: "rke.cattle.io", Version: "v1", Resource: "rkecontrolplanes"}
	SnapshotResource     = schema.GroupVersionResource{Group: "rke.cattle.io", Version: "v1", Resource: "etcdsnapshots"}
	MachineResource      = schema.GroupVersionResource{Group: "cluster.x-k8s.io", Version: "v1beta1", Resource: "machines"}
	SettingResource      = schema.GroupVersionResource{Group: "management.cattle.io", Version: "v3", Resource: "settings"}
)

// Labels Rancher and CAPI put on the objects of one cluster, and the machines' roles.
const (
	LabelMachineCluster  = "cluster.x-k8s.io/cluster-name"
	LabelSnapshotCluster = "rke.cattle.io/cluster-name"
	LabelEtcdRole        = "rke.cattle.io/etcd-role"
	LabelControlPlane    = "rke.cattle.io/control-plane-role"
	LabelWorkerRole      = "rke.cattle.io/worker-role"
)

// Our marks on the Cluster: the field manager of our writes, and the snapshot taken
// before the upgrade with the version it was taken on (what a rollback restores).
const (
	FieldManager            = "kubectl-skew"
	AnnotationSnapshot      = "kubectl-skew.io/rancher-snapshot"
	AnnotationSnapshotFrom  = "kubectl-skew.io/rancher-snapshot-version"
	AnnotationUpgradeTarget = "kubectl-skew.io/rancher-target"
)

// Restore modes of spec.rkeConfig.etcdSnapshotRestore.restoreRKEConfig.
const RestoreKubernetesVersion = "kubernetesVersion"

// Condition is one entry of status.conditions.
type Condition struct {
	Type, Status, Reason, Message string
}

// Cluster is the provisioning.cattle.io Cluster, as far as we read it.
type Cluster struct {
	Namespace, Name   string
	ResourceVersion   string
	KubernetesVersion string
	// ControlPlaneConcurrency and WorkerConcurrency are upgradeStrategy's strings.
	ControlPlaneConcurrency, WorkerConcurrency string
	SnapshotCreateGeneration                   int64
	Restore                                    *Restore
	Conditions                                 []Condition
	Annotations                                map[string]string
	// ManagementName is status.clusterName, the management.cattle.io Cluster.
	ManagementName string
}

// Restore is spec.rkeConfig.etcdSnapshotRestore.
type Restore struct {
	Name             string `json:"name"`
	Generation       int64  `json:"generation"`
	RestoreRKEConfig string `json:"restoreRKEConfig,omitempty"`
}

// ControlPlane is the rke.cattle.io RKEControlPlane of the same name.
type ControlPlane struct {
	Conditions               []Condition
	AppliedVersion           string
	SnapshotCreatePhase      string
	SnapshotCreateGeneration int64
	RestorePhase             string
	RestoreGeneration        int64
}

// Machine is one CAPI Machine of the cluster.
type Machine struct {
	Name, Node     string
	Etcd, Control  bool
	Worker         bool
	KubeletVersion string
	Phase          string
}

// Snapshot is one rke.cattle.io ETCDSnapshot.
type Snapshot struct {
	Name      string    `json:"name"`
	Cluster   string    `json:"cluster"`
	Node      string    `json:"node,omitempty"`
	Location  string    `json:"location,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	Status    string    `json:"status,omitempty"`
	// KubernetesVersion is the Cluster's version when it was taken, from its metadata;
	// empty when the metadata does not say.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
}

// Settings are Rancher's own version settings (management.cattle.io).
type Settings struct {
	SupportedRange string `json:"supportedRange,omitempty"`
	RKE2Default    string `json:"rke2Default,omitempty"`
	K3sDefault     string `json:"k3sDefault,omitempty"`
	ServerVersion  string `json:"serverVersion,omitempty"`
}

// State is everything read about one Rancher-provisioned cluster.
type State struct {
	Cluster      Cluster
	ControlPlane *ControlPlane
	Machines     []Machine
	Snapshots    []Snapshot
	Settings     Settings
}

// Condition finds a condition by type.
func find(cs []Condition, t string) (Condition, bool) {
	for _, c := range cs {
		if c.Type == t {
			return c, true
		}
	}
	return Condition{}, false
}
