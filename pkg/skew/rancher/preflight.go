package rancher

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Refusals says, one line each, why the path cannot start now: a restore under way,
// a control plane in error, another change in progress, a hop this Rancher does not
// support. An empty list means it may.
func (s *State) Refusals(hops []version.Version) []string {
	c := &s.Cluster
	if cp := s.ControlPlane; cp != nil && c.Restore != nil && c.Restore.Generation > 0 && cp.RestoreGeneration == c.Restore.Generation && cp.RestorePhase != "" && cp.RestorePhase != "Finished" {
		return []string{fmt.Sprintf("a restore of %s is in progress (phase %s): wait for it to finish", c.Restore.Name, cp.RestorePhase)}
	}
	if ready := s.Condition("Ready"); ready.Status == "False" && ready.Reason == "Error" {
		return []string{fmt.Sprintf("the control plane of %s/%s reports an error (Ready=False, reason Error): %s; fix it in Rancher first", c.Namespace, c.Name, ready.Message)}
	}
	applied := ""
	if s.ControlPlane != nil {
		applied = s.ControlPlane.AppliedVersion
	}
	if applied != "" && c.KubernetesVersion != applied && !onPath(c.KubernetesVersion, hops) {
		return []string{fmt.Sprintf("a change to %s is in progress (the control plane applied %s), and %s is not on the path: wait for it, or set the version back in Rancher", c.KubernetesVersion, applied, c.KubernetesVersion)}
	}
	return s.Settings.Unsupported(hops)
}

func onPath(v string, hops []version.Version) bool {
	for _, h := range hops {
		if h.String() == v {
			return true
		}
	}
	return false
}
