package report

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Plan turns a path into the plan report; nixos names each hop's nixpkgs attribute
// (the cluster has NixOS nodes, which move by their configuration).
func Plan(p *upgradepath.Path, command string, nixos bool) *PlanReport {
	r := NewPlanReport()
	r.Notes = p.Notes
	s := &r.Summary
	s.Distro, s.Target, s.TargetSource = string(p.Distro), p.Target.String(), p.TargetSource
	s.LowestServer, s.HighestServer = p.LowestServer.String(), p.HighestServer.String()
	s.ChannelServer, s.Agents, s.Hops = p.ChannelsURL, string(p.Agents), len(p.Hops)
	s.UpToDate = len(p.Hops) == 0
	for _, h := range p.Hops {
		changes, unknown := p.Components(h)
		hop := PlanHop{
			Hop: h.Number, Kind: string(h.Kind), From: h.From.String(), To: h.To.String(), Source: h.Source,
			Image:   suc.Image(p.Distro, h.To),
			Servers: planNodes(h.Servers), Agents: planNodes(h.Agents),
			Findings: nonNil(h.Findings), Blocking: nonNil(h.Blocking),
			Components: changes, ReleasesUnknown: unknown,
		}
		if nixos {
			hop.Nixpkgs = install.NixpkgsAttribute(p.Distro, h.To.MinorVersion())
		}
		r.Hops = append(r.Hops, hop)
	}
	Settle(r, p, command)
	return r
}

// Settle gives the summary its verdict and next step from the hops: a hop is blocked
// by skew findings (the path's Blocking) or by a hazard the upgrade's preflight check
// would refuse.
func Settle(r *PlanReport, p *upgradepath.Path, command string) {
	skew := map[int]bool{}
	for _, b := range p.Blocking() {
		skew[b.Hop.Number] = true
	}
	r.Summary.Blocked = len(skew) > 0
	for _, h := range r.Hops {
		if len(h.BlockingHazards) > 0 {
			r.Summary.Blocked = true
		}
	}
	r.Summary.Next = nextStep(r, skew, command)
}

func planNodes(steps []upgradepath.NodeStep) []PlanNode {
	out := make([]PlanNode, 0, len(steps))
	for _, st := range steps {
		out = append(out, PlanNode{Name: st.Name, Role: string(st.Role), Hostname: st.Hostname, From: st.From.String()})
	}
	return out
}

// nextStep says, in one sentence, what upgrade would do first, or what stops it;
// skew holds the numbers of the hops skew findings block.
func nextStep(r *PlanReport, skew map[int]bool, command string) string {
	if r.Summary.UpToDate {
		return fmt.Sprintf("nothing to do: every node runs %s", r.Summary.Target)
	}
	for _, h := range r.Hops {
		if skew[h.Hop] {
			return fmt.Sprintf("hop %d is blocked: fix the blocking findings, then run kubectl skew plan again", h.Hop)
		}
		if ids := h.BlockingHazards; len(ids) > 0 {
			what := "hazard " + ids[0] + ": fix what it names, or acknowledge it"
			if len(ids) > 1 {
				what = "hazards " + strings.Join(ids, ", ") + ": fix what they name, or acknowledge them"
			}
			return fmt.Sprintf("hop %d is blocked by %s with --accept-hazard %s, then run kubectl skew plan again",
				h.Hop, what, strings.Join(ids, " --accept-hazard "))
		}
	}
	h := r.Hops[0]
	var who []string
	if n := len(h.Servers); n > 0 {
		who = append(who, fmt.Sprintf("%s one at a time", text.Plural(n, "server")))
	}
	if n := len(h.Agents); n > 0 {
		who = append(who, text.Plural(n, "agent"))
	}
	return fmt.Sprintf("%s would start with hop %d: %s (image %s) on %s; nothing was changed",
		command, h.Hop, h.To, h.Image, strings.Join(who, ", then "))
}

// nonNil is fs, or an empty list: the JSON shows [] rather than null.
func nonNil(fs []policy.Finding) []policy.Finding {
	if fs == nil {
		return []policy.Finding{}
	}
	return fs
}

// MovedByRancher rewords a plan for a cluster whose nodes Rancher moves: no upgrade
// image of ours runs, and Rancher keeps its own order and concurrency.
func MovedByRancher(r *PlanReport, command string) {
	for i := range r.Hops {
		r.Hops[i].Image = ""
	}
	if r.Summary.Blocked || r.Summary.UpToDate || len(r.Hops) == 0 {
		return
	}
	h := r.Hops[0]
	r.Summary.Next = fmt.Sprintf("%s would start with hop %d: it sets the cluster's version to %s, and Rancher moves its %s itself (etcd, then control plane, then workers); nothing was changed",
		command, h.Hop, h.To, text.Plural(len(h.Servers)+len(h.Agents), "node"))
}
