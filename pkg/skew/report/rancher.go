package report

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RancherStatus is printed by "kubectl skew status --rancher-cluster".
type RancherStatus struct {
	metav1.TypeMeta `json:",inline"`
	// Cluster is NAMESPACE/NAME of the provisioning.cattle.io Cluster.
	Cluster string `json:"cluster"`
	// KubernetesVersion is the Cluster's spec; AppliedVersion what its control plane applied.
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
