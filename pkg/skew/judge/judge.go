package judge

import (
	"slices"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Skew is the skew policy on the cluster as it is and, with a target, on the way
// there: the findings check lists, worst first.
func Skew(inv *cluster.Inventory, target *version.Target) []policy.Finding {
	return policy.Evaluate(inv, policy.Options{Target: target})
}

// TargetAdds are the findings a control plane at target adds to now, the findings of
// the cluster as it is. They are compared by ID and subject: a rule that only says
// more with a target is not a new finding. Watch reports them on their own.
func TargetAdds(inv *cluster.Inventory, target version.Target, now []policy.Finding) []policy.Finding {
	have := make(map[[2]string]bool, len(now))
	for _, f := range now {
		have[[2]string{f.ID, f.Subject}] = true
	}
	var out []policy.Finding
	for _, f := range Skew(inv, &target) {
		if !have[[2]string{f.ID, f.Subject}] {
			out = append(out, f)
		}
	}
	return out
}

// Judgement is what the judging found on the hops.
type Judgement struct {
	// APIs are the removed-API verdicts, by hop; APIScan says what the scan read and
	// which minors it judged (nil when it did not run).
	APIs    []deprecation.Verdict
	APIScan *report.APIScan
	// Hazards are the hazard reports, one per hop judged.
	Hazards []hazard.HopReport
	// Skipped is what could not be judged, never a pass: removed-API sources not read,
	// the scan itself without a known control plane, hazard entries without their facts.
	Skipped []cluster.Skipped
}

// Judge judges on hops what Read read; accepted are the hazard IDs acknowledged. It
// reads nothing.
func Judge(hops Hops, f *Facts, accepted []string) *Judgement {
	j := &Judgement{}
	if hops.Scan {
		j.judgeAPIs(hops, f.APIs)
	}
	if len(hops.Hazards) > 0 {
		j.Hazards = JudgeHazards(hops.Hazards, f.Hazards, accepted)
		_, skipped := hazard.PolicyFindings(j.Hazards)
		for _, s := range skipped {
			j.Skipped = append(j.Skipped, cluster.Skipped{What: s[0], Reason: s[1]})
		}
	}
	return j
}

// judgeAPIs judges the scan and says what it read and judged.
func (j *Judgement) judgeAPIs(hops Hops, s *deprecation.Scan) {
	if s == nil {
		s = &deprecation.Scan{}
	}
	verdicts, ok := JudgeAPIs(hops, s)
	if !ok {
		j.Skipped = append(j.Skipped, cluster.Skipped{What: "the removed-API scan", Reason: "the control plane's version is unknown"})
		return
	}
	for _, sk := range s.Skipped {
		j.Skipped = append(j.Skipped, cluster.Skipped{What: sk.What, Reason: sk.Reason})
	}
	j.APIScan = &report.APIScan{From: hops.From.MinorVersion().String(), Hops: []string{}, Releases: s.Releases, Objects: s.Objects,
		Files: s.Files, Metrics: s.Metrics != nil, Scanned: s.Summary()}
	for _, h := range hops.APIs {
		j.APIScan.Hops = append(j.APIScan.Hops, h.Minor.String())
	}
	j.APIs = verdicts
}

// JudgeAPIs judges the removed-API scan s against the hops' minors, from From's: what
// is served today. ok is false when From is unknown, as nothing can be judged then.
func JudgeAPIs(hops Hops, s *deprecation.Scan) (verdicts []deprecation.Verdict, ok bool) {
	if hops.From == nil {
		return nil, false
	}
	return deprecation.Judge(s, hops.From.MinorVersion(), hops.APIs), true
}

// JudgeHazards judges every hop with every relevant entry of the hazard table;
// accepted are the IDs acknowledged. Facts that were never read (nil) leave every
// entry skipped, never passed.
func JudgeHazards(hops []hazard.Hop, f *hazard.Facts, accepted []string) []hazard.HopReport {
	if f == nil {
		f = &hazard.Facts{}
	}
	set := make(map[string]bool, len(accepted))
	for _, id := range accepted {
		set[id] = true
	}
	return hazard.Evaluate(hops, f, set)
}

// Findings are the removed-API findings, then the hazards' (each message naming its
// hop, an accepted one marked as such): what check lists beside the skew findings.
func (j *Judgement) Findings() []policy.Finding {
	hf, _ := hazard.PolicyFindings(j.Hazards)
	return append(deprecation.Findings(j.APIs), hf...)
}

// HopVerdict is what the judging found on one hop of a path, as plan lists it.
type HopVerdict struct {
	// APIs are the hop's removed-API findings, worst first.
	APIs []policy.Finding
	// Hazards are its hazard findings as reported (an accepted one says so), and
	// BlockingHazards the IDs among them that block it (hazard.Finding.Blocks), once each.
	Hazards         []policy.Finding
	BlockingHazards []string
}

// PerHop spreads the judgement over the path's hops: a removed-API verdict goes to the
// first hop that reaches its minor, a hazard report to its own hop.
func (j *Judgement) PerHop(p *upgradepath.Path) []HopVerdict {
	out := make([]HopVerdict, len(p.Hops))
	if len(out) == 0 {
		return out
	}
	for _, v := range j.APIs {
		h := &out[hopFor(p, v)]
		h.APIs = append(h.APIs, v.Finding)
	}
	for i := range out {
		policy.Sort(out[i].APIs)
	}
	for i, r := range j.Hazards {
		if i == len(out) {
			break // not this path's hazards: each hop has one report
		}
		h := &out[i]
		for _, f := range r.Findings {
			h.Hazards = append(h.Hazards, f.Reported())
			if f.Blocks() && !slices.Contains(h.BlockingHazards, f.ID) {
				h.BlockingHazards = append(h.BlockingHazards, f.ID)
			}
		}
	}
	return out
}
