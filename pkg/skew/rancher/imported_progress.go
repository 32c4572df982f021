package rancher

import (
	"fmt"
	"sort"
)

// HopDone judges a hop to v. Rancher's Upgraded condition must have gone Unknown and
// come back True when we set the version in this run (a True read just after the
// patch is the old one), status.version must be v, and every Linux node's kubelet
// must run v (Rancher skips Windows nodes too).
func (s *ImportedState) HopDone(v string, sawUnknown bool) bool {
	if !sawUnknown || s.Condition(ConditionUpgraded).Status != "True" || s.Cluster.StatusVersion != v {
		return false
	}
	return s.Laggard(v) == nil
}

// Laggard is the first Linux node not on v, servers first (Rancher moves them first),
// or nil.
func (s *ImportedState) Laggard(v string) *ImportedNode {
	nodes := s.InOrder()
	for i := range nodes {
		if nodes[i].linux() && nodes[i].KubeletVersion != v {
			return &nodes[i]
		}
	}
	return nil
}

// Moved counts the Linux nodes on v, of all Linux nodes.
func (s *ImportedState) Moved(v string) (moved, total int) {
	for _, n := range s.Nodes {
		if !n.linux() {
			continue
		}
		total++
		if n.KubeletVersion == v {
			moved++
		}
	}
	return moved, total
}

// InOrder are the nodes as Rancher moves them: servers (its master plan), then the rest.
func (s *ImportedState) InOrder() []ImportedNode {
	out := append([]ImportedNode(nil), s.Nodes...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].ControlPlane && !out[j].ControlPlane })
	return out
}

// Gate is our own check before the next hop, which Rancher does not make: every node
// Ready and every server on v.
func (s *ImportedState) Gate(v string) error {
	for _, n := range s.InOrder() {
		if n.server() && n.KubeletVersion != v {
			return fmt.Errorf("server %s runs %s, not %s", n.Node, orNone(n.KubeletVersion), v)
		}
		if n.Ready != "True" {
			return fmt.Errorf("node %s is not Ready (%s)", n.Node, orNone(n.Ready))
		}
	}
	return nil
}

// ProgressKey is a fingerprint of what changes while Rancher works: unchanged for
// the timeout, the hop has stalled.
func (s *ImportedState) ProgressKey(v string) string {
	moved, total := s.Moved(v)
	up := s.Condition(ConditionUpgraded)
	return fmt.Sprintf("%d/%d %s %s %s", moved, total, up.Status, up.Message, s.Cluster.StatusVersion)
}

// Stalled says which node has not moved to v and what Rancher says.
func (s *ImportedState) Stalled(v string) string {
	up := s.Condition(ConditionUpgraded)
	msg := fmt.Sprintf("Rancher's Upgraded condition is %s", orNone(up.Status))
	if up.Message != "" {
		msg += fmt.Sprintf(": %q", up.Message)
	}
	if n := s.Laggard(v); n != nil {
		return fmt.Sprintf("node %s is still on %s; %s", n.Node, orNone(n.KubeletVersion), msg)
	}
	return fmt.Sprintf("every node runs %s but status.version is %s; %s", v, orNone(s.Cluster.StatusVersion), msg)
}
