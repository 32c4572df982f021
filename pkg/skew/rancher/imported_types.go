package rancher

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// An imported (registered) K3s or RKE2 cluster is not provisioned by Rancher: its
// management.cattle.io Cluster carries the desired version in spec.k3sConfig or
// spec.rke2Config, and Rancher upgrades it through system-upgrade-controller Plans of
// its own in the downstream cluster (docs/rancher.md, "Imported clusters").
var (
	ManagementClusterResource = schema.GroupVersionResource{Group: "management.cattle.io", Version: "v3", Resource: "clusters"}
	ManagementNodeResource    = schema.GroupVersionResource{Group: "management.cattle.io", Version: "v3", Resource: "nodes"}
)

// Rancher's names for imported clusters, read from rancher/rancher
// (pkg/controllers/management/k3sbasedupgrade, importedclusterversionmanagement,
// pkg/systemtemplate).
const (
	// AnnotationVersionManagement: "true", "false", or "system-default" (or absent),
	// which defers to the setting SettingVersionManagement.
	AnnotationVersionManagement = "rancher.io/imported-cluster-version-management"
	SettingVersionManagement    = "imported-cluster-version-management"
	// FeatureManagedSUC is the agent feature that runs Rancher's own
	// system-upgrade-controller downstream (Rancher v2.10 and later).
	FeatureManagedSUC = "managed-system-upgrade-controller"
	// ConditionUpgraded is the only progress Rancher reports for an imported cluster.
	ConditionUpgraded = "Upgraded"
	// AnnotationAbort: kubectl skew abort asks a run to stop before its next hop.
	AnnotationAbort = "kubectl-skew.io/rancher-abort"
)

// Drivers of imported K3s and RKE2 clusters (status.driver).
const (
	DriverK3s  = "k3s"
	DriverRKE2 = "rke2"
)

// Strategy is k3supgradeStrategy / rke2upgradeStrategy. Rancher's Go type has int
// fields with omitempty: an absent concurrency is 0 to Rancher, and a Plan with
// concurrency 0 selects no node.
type Strategy struct {
	ServerConcurrency int64 `json:"serverConcurrency"`
	WorkerConcurrency int64 `json:"workerConcurrency"`
	DrainServerNodes  bool  `json:"drainServerNodes"`
	DrainWorkerNodes  bool  `json:"drainWorkerNodes"`
}

// ImportedCluster is the management.cattle.io Cluster of an imported K3s/RKE2 cluster.
type ImportedCluster struct {
	Name, DisplayName string
	ResourceVersion   string
	// Driver is k3s or rke2.
	Driver string
	// Version is spec.<driver>Config.kubernetesVersion, the version Rancher upgrades to.
	Version  string
	Strategy Strategy
	// StatusVersion is status.version.gitVersion, what Rancher last saw the cluster run.
	StatusVersion string
	Conditions    []Condition
	Annotations   map[string]string
	AgentFeatures map[string]bool
}

// ImportedNode is one management.cattle.io Node of the cluster.
type ImportedNode struct {
	Name, Node                 string
	ControlPlane, Etcd, Worker bool
	OS                         string
	KubeletVersion             string
	Ready                      string
}

// ImportedState is everything read about one imported cluster.
type ImportedState struct {
	Cluster  ImportedCluster
	Nodes    []ImportedNode
	Settings Settings
	// VersionManagementSetting is the global setting's value ("" when absent: before
	// Rancher v2.11 there is no such setting and version management is always on).
	VersionManagementSetting string
}

// configKey is spec's key for the driver's config, strategyKey the strategy's key in it.
func configKey(driver string) string { return driver + "Config" }

func strategyKey(driver string) string { return driver + "upgradeStrategy" }
