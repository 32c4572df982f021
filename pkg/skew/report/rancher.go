package report

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RancherStatus is printed by "kubectl skew status --rancher-cluster".
type RancherStatus struct {
	metav1.TypeMeta `json:",inline"`
	// Mode is "provisioned" (a provisioning.cattle.io Cluster Rancher created) or
	// "imported" (a K3s/RKE2 cluster registered into Rancher, driven through its
	// management.cattle.io Cluster).
	Mode string `json:"mode"`
	// Cluster is NAMESPACE/NAME of the provisioning.cattle.io Cluster, or the
	// management Cluster's name (c-m-…) of an imported one.
	Cluster string `json:"cluster"`
	// DisplayName is an imported cluster's display name.
	DisplayName string `json:"displayName,omitempty"`
	// Hop is the version Rancher is moving an imported cluster to ("" when idle).
	Hop string `json:"hop,omitempty"`
	// Upgraded is an imported cluster's Upgraded condition; Message then is its message.
	Upgraded string `json:"upgraded,omitempty"`
	// KubernetesVersion is the Cluster's spec; AppliedVersion what its control plane
	// applied (for an imported cluster: status.version.gitVersion).
	KubernetesVersion string `json:"kubernetesVersion"`
	AppliedVersion    string `json:"appliedVersion"`
	// Target is the last target kubectl skew upgrade was run with ("" when none).
	Target string `json:"target,omitempty"`
	// State is idle, upgrading, snapshot, restoring or error.
	State string `json:"state"`
	// Ready, Stable and Reconciled are the control plane's condition statuses; Message
	// its Ready message.
	Ready      string `json:"ready"`
	Stable     string `json:"stable"`
	Reconciled string `json:"reconciled"`
	Message    string `json:"message,omitempty"`
	// SnapshotPhase and RestorePhase are the last snapshot's and restore's phases.
	SnapshotPhase string           `json:"snapshotPhase,omitempty"`
	RestorePhase  string           `json:"restorePhase,omitempty"`
	Machines      []RancherMachine `json:"machines"`
	// Rollback is the snapshot "kubectl skew rollback" would restore; empty when none.
	Rollback *RancherSnapshot `json:"rollback,omitempty"`
	Next     string           `json:"next"`
}

// RancherMachine is one CAPI Machine.
type RancherMachine struct {
	Name           string `json:"name"`
	Node           string `json:"node"`
	Roles          string `json:"roles"`
	KubeletVersion string `json:"kubeletVersion"`
	// Done is true when the kubelet runs the Cluster's version.
	Done bool `json:"done"`
}

// RancherSnapshot is one etcd snapshot.
type RancherSnapshot struct {
	Name              string `json:"name"`
	CreatedAt         string `json:"createdAt"`
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	Node              string `json:"node,omitempty"`
}

// NewRancherStatus returns an empty RancherStatus with its type set.
func NewRancherStatus() *RancherStatus { return &RancherStatus{TypeMeta: typeMeta("RancherStatus")} }

// DeepCopyObject implements runtime.Object.
func (r *RancherStatus) DeepCopyObject() Object { return deepCopyJSON(r) }
