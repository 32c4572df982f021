package hazard

import (
	"fmt"
	"sort"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// Finding is one hazard hit on one hop.
type Finding struct {
	policy.Finding
	Hop      string `json:"hop"`
	Blocking bool   `json:"blocking"`
	// Accepted is set when the operator acknowledged the ID (--accept-hazard): it is
	// still reported, and no longer blocks.
	Accepted bool   `json:"accepted,omitempty"`
	Source   string `json:"source"`
}

// Skip is an entry that could not be judged on a hop, with the reason: never a pass.
type Skip struct {
	ID     string `json:"id"`
	Hop    string `json:"hop"`
	Reason string `json:"reason"`
}

// HopReport is what the table says about one hop.
type HopReport struct {
	Hop      string    `json:"hop"`
	Findings []Finding `json:"findings,omitempty"`
	Skipped  []Skip    `json:"skipped,omitempty"`
}

// Needs is the union of the facts the entries relevant to some hop read, in a stable
// order: Read lists only these.
func Needs(hops []Hop) []Fact {
	set := map[Fact]bool{}
	for _, h := range hops {
		for i := range Table {
			if Table[i].Relevant(h) {
				for _, f := range Table[i].Needs {
					set[f] = true
				}
			}
		}
	}
	out := make([]Fact, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Evaluate judges every hop with every relevant entry. accepted holds acknowledged IDs.
func Evaluate(hops []Hop, f *Facts, accepted map[string]bool) []HopReport {
	out := make([]HopReport, 0, len(hops))
	for _, h := range hops {
		name := h.String()
		r := HopReport{Hop: name}
		for i := range Table {
			e := &Table[i]
			if !e.Relevant(h) {
				continue
			}
			if reason, skipped := missing(e, f); skipped {
				r.Skipped = append(r.Skipped, Skip{ID: e.ID, Hop: name, Reason: reason})
				continue
			}
			for _, hit := range e.Judge(h, f) {
				sev, blocking := e.Severity, e.Blocking
				if hit.Unknown {
					sev, blocking = policy.Warning, false
				}
				r.Findings = append(r.Findings, Finding{
					Finding: policy.Finding{ID: e.ID, Severity: sev, Subject: hit.Subject, Rule: e.Title,
						Message: hit.Message, Fix: e.Fix},
					Hop: name, Blocking: blocking, Accepted: accepted[e.ID], Source: e.Source,
				})
			}
		}
		out = append(out, r)
	}
	return out
}

// missing reports why an entry cannot be judged: a fact it needs was skipped or never read.
func missing(e *Entry, f *Facts) (string, bool) {
	for _, need := range e.Needs {
		if reason, ok := f.Skipped[need]; ok {
			return fmt.Sprintf("%s: %s", need, reason), true
		}
		if !f.Read[need] {
			return fmt.Sprintf("%s: not read", need), true
		}
	}
	return "", false
}

// Reported is the finding as check and plan print it: an acknowledged one says so.
func (f Finding) Reported() policy.Finding {
	pf := f.Finding
	if f.Accepted {
		pf.Message += " (accepted)"
	}
	return pf
}

// PolicyFindings flattens the reports into the findings list check and plan print,
// each message naming its hop, and the skipped entries as what/reason pairs.
func PolicyFindings(reports []HopReport) (out []policy.Finding, skipped [][2]string) {
	for _, r := range reports {
		for _, f := range r.Findings {
			pf := f.Reported()
			pf.Message = "at " + r.Hop + ": " + pf.Message
			out = append(out, pf)
		}
		for _, s := range r.Skipped {
			skipped = append(skipped, [2]string{"hazard " + s.ID + " at " + s.Hop, s.Reason})
		}
	}
	return out, skipped
}

// Blocks reports whether the finding stops its hop: the upgrade's preflight refuses it,
// and plan marks the hop blocked. An acknowledged finding (--accept-hazard) is still
// reported but no longer blocks: this is the one place that says so.
func (f Finding) Blocks() bool { return f.Blocking && !f.Accepted }

// Blocking returns the findings that block an upgrade (Blocks), in order.
func Blocking(reports []HopReport) []Finding {
	var out []Finding
	for _, r := range reports {
		for _, f := range r.Findings {
			if f.Blocks() {
				out = append(out, f)
			}
		}
	}
	return out
}
