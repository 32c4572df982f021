package rancher

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// Status says where an imported cluster stands: the version asked for and the one
// Rancher reports, the hop under way, Upgraded and its message, and each node.
func (s *ImportedState) Status() *report.RancherStatus {
	c := &s.Cluster
	r := report.NewRancherStatus()
	r.Mode, r.Cluster, r.DisplayName = "imported", c.Name, c.DisplayName
	r.KubernetesVersion, r.AppliedVersion = c.Version, c.StatusVersion
	up := s.Condition(ConditionUpgraded)
	r.Upgraded, r.Message, r.Ready = up.Status, up.Message, s.Condition("Ready").Status
	r.Machines = []report.RancherMachine{}
	for _, n := range s.InOrder() {
		r.Machines = append(r.Machines, report.RancherMachine{Name: n.Name, Node: n.Node, Roles: importedRoles(n), KubeletVersion: n.KubeletVersion, Done: n.KubeletVersion == c.Version})
	}
	done := up.Status == "True" && c.StatusVersion == c.Version && s.Laggard(c.Version) == nil
	switch {
	case done:
		r.State = "idle"
		r.Next = fmt.Sprintf("nothing in progress: every node runs %s", c.Version)
	default:
		r.State, r.Hop = "upgrading", c.Version
		r.Next = fmt.Sprintf("wait: Rancher is moving the cluster to %s; kubectl skew upgrade --rancher-cluster %s --wait follows it (%s)", c.Version, c.Name, s.Stalled(c.Version))
	}
	if on, why := s.VersionManagement(); !on {
		r.State = "unmanaged"
		r.Next = "Rancher's version management is off (" + why + "): Rancher does not upgrade this cluster"
	}
	if a := c.Annotations[AnnotationAbort]; a != "" {
		r.Next += fmt.Sprintf("; abort was requested at %s: a run stops before its next hop", a)
	}
	return r
}
