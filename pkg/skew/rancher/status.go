package rancher

import (
	"fmt"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// Status says where the cluster stands: its versions, the control plane's conditions,
// each Machine, and the snapshot a rollback would restore. rollback is the command
// that restores it.
func (s *State) Status(rollback string) *report.RancherStatus {
	c := &s.Cluster
	r := report.NewRancherStatus()
	r.Mode = "provisioned"
	r.Cluster, r.KubernetesVersion, r.Target = c.Namespace+"/"+c.Name, c.KubernetesVersion, c.Annotations[AnnotationUpgradeTarget]
	ready := s.Condition("Ready")
	r.Ready, r.Stable, r.Reconciled, r.Message = ready.Status, s.Condition("Stable").Status, s.Condition("Reconciled").Status, ready.Message
	if cp := s.ControlPlane; cp != nil {
		r.AppliedVersion, r.SnapshotPhase, r.RestorePhase = cp.AppliedVersion, cp.SnapshotCreatePhase, cp.RestorePhase
	}
	r.Machines = []report.RancherMachine{}
	for _, m := range s.Machines {
		r.Machines = append(r.Machines, report.RancherMachine{Name: m.Name, Node: m.Node, Roles: roles(m), KubeletVersion: m.KubeletVersion, Done: m.KubeletVersion == c.KubernetesVersion})
	}
	r.State = s.state()
	if snap, err := s.RollbackSnapshot(""); err == nil {
		r.Rollback = &report.RancherSnapshot{Name: snap.Name, CreatedAt: snap.CreatedAt.UTC().Format(time.RFC3339), KubernetesVersion: snap.KubernetesVersion, Node: snap.Node}
	}
	switch r.State {
	case "error":
		r.Next = "Rancher reports an error: fix its cause, or restore the snapshot taken before the hop"
		if r.Rollback != nil {
			r.Next += ": " + rollback
		}
	case "upgrading", "snapshot", "restoring":
		r.Next = "wait: Rancher is working; kubectl skew upgrade --rancher-cluster " + r.Cluster + " --wait follows it"
	default:
		r.Next = fmt.Sprintf("nothing in progress: every machine runs %s", c.KubernetesVersion)
	}
	return r
}

func (s *State) state() string {
	cp := s.ControlPlane
	ready := s.Condition("Ready")
	switch {
	case ready.Status == "False" && ready.Reason == "Error":
		return "error"
	case cp == nil:
		return "upgrading"
	case cp.RestorePhase != "" && cp.RestorePhase != "Finished" && s.Cluster.Restore != nil && cp.RestoreGeneration == s.Cluster.Restore.Generation:
		return "restoring"
	case cp.SnapshotCreatePhase != "" && cp.SnapshotCreatePhase != "Finished" && cp.SnapshotCreatePhase != "Failed":
		return "snapshot"
	case s.Cluster.KubernetesVersion != cp.AppliedVersion || !s.ProgressTo(s.Cluster.KubernetesVersion).Done:
		return "upgrading"
	}
	return "idle"
}
