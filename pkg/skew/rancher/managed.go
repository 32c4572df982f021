package rancher

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// Managed is a K3s or RKE2 cluster Rancher manages, as read from the management
// cluster: provisioned (*State) or imported (*ImportedState). check, plan and status
// read either the same way.
type Managed interface {
	// Inventory is the cluster as the skew rules and the planner read it.
	Inventory() *cluster.Inventory
	// RancherSettings are the Rancher settings that judge it (the versions Rancher supports).
	RancherSettings() Settings
	// Context names it in a check report.
	Context() string
	// PlanNote says how Rancher moves its nodes and what kubectl skew upgrade does.
	PlanNote() string
	// CurrentStatus is where an upgrade of it stands.
	CurrentStatus() *report.RancherStatus
}

var (
	_ Managed = (*State)(nil)
	_ Managed = (*ImportedState)(nil)
)

func (s *State) RancherSettings() Settings { return s.Settings }

func (s *State) ref() string { return s.Cluster.Namespace + "/" + s.Cluster.Name }

func (s *State) Context() string { return "rancher:" + s.ref() }

func (s *State) PlanNote() string {
	return fmt.Sprintf("Rancher moves every node of %s to each hop's version itself (etcd, then control plane, then workers); kubectl skew upgrade --rancher-cluster takes an etcd snapshot before each hop and sets the version one hop at a time", s.ref())
}

func (s *State) CurrentStatus() *report.RancherStatus {
	return s.Status("kubectl skew rollback --rancher-cluster " + s.ref())
}

func (s *ImportedState) RancherSettings() Settings { return s.Settings }

func (s *ImportedState) Context() string { return "rancher-imported:" + s.Cluster.Name }

func (s *ImportedState) PlanNote() string {
	return fmt.Sprintf("%s is an imported %s cluster: Rancher upgrades it through its own system-upgrade-controller Plans, servers first, then the other nodes; kubectl skew upgrade --rancher-cluster sets spec.%sConfig.kubernetesVersion once per hop and checks every node between hops (Rancher takes no snapshot of an imported cluster)",
		s.Cluster.Name, s.Distro().Name(), s.Cluster.Driver)
}

func (s *ImportedState) CurrentStatus() *report.RancherStatus { return s.Status() }
