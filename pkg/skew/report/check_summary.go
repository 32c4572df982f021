package report

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Check assembles the report of one check run.
func Check(inv *cluster.Inventory, findings []policy.Finding, failOn policy.Severity, target string) *CheckReport {
	r := NewCheckReport()
	r.Cluster, r.Findings = inv, findings
	if r.Findings == nil {
		r.Findings = []policy.Finding{}
	}
	s := &r.Summary
	s.Distro, s.Target, s.FailOn = string(inv.Distro), target, string(failOn)
	s.Nodes = len(inv.Nodes)
	var lo, hi *version.Version
	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		if n.Role.IsServer() {
			s.Servers++
		} else {
			s.Agents++
		}
		if n.Kubelet != nil {
			if lo == nil || n.Kubelet.Compare(*lo) < 0 {
				lo = n.Kubelet
			}
			if hi == nil || n.Kubelet.Compare(*hi) > 0 {
				hi = n.Kubelet
			}
		}
	}
	if lo != nil {
		s.LowestKubelet, s.HighestKubelet = lo.String(), hi.String()
	}
	if amin, amax, ok := inv.APIServerRange(); ok {
		s.ControlPlane = amax.String()
		if amin.Compare(amax) != 0 {
			s.OldestControlPlane = amin.String()
		}
	}
	for _, f := range findings {
		switch f.Severity {
		case policy.Error:
			s.Errors++
		case policy.Warning:
			s.Warnings++
		case policy.Info:
			s.Infos++
		}
	}
	s.Failed = failOn.Rank() >= 0 && policy.Count(findings, failOn) > 0
	return r
}
