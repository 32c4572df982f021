package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// gatherHazards reads the facts the path's hops need and judges them (docs/hazards.md),
// as plan does.
func gatherHazards(ctx context.Context, src Source, f *Facts, o Options) {
	hops := judge.PathHops(f.Inventory, f.Path, o.judging()).Hazards
	if len(hops) == 0 {
		return
	}
	facts := judge.ReadHazards(ctx, hazard.Clients{Kube: src.Kube, Dynamic: src.Dynamic}, f.Nodes, hops)
	f.Hazards = judge.JudgeHazards(hops, facts, o.AcceptHazards)
}

// judging is the run's options as the judging takes them. The path carries its own
// release data, and the scan is read through Source.ScanAPIs.
func (o Options) judging() judge.Config {
	return judge.Config{Hazards: judge.Hazards{Enabled: !o.NoHazards, Accepted: o.AcceptHazards}}
}

// checkHazards fails on a blocking hop hazard the operator did not accept, and warns on
// the others (--strict fails on them too). Entries that could not be judged are named.
func checkHazards(v verdicts, f *Facts, o Options) {
	if o.NoHazards {
		v.add(CheckHazards, Skipped, "hop hazards not judged (--hazards=false)", "")
		return
	}
	if f.Path == nil || len(f.Path.Hops) == 0 {
		v.add(CheckHazards, Skipped, "no hop to check", "")
		return
	}
	var blocking, others, skipped []string
	for _, r := range f.Hazards {
		for _, h := range r.Findings {
			line := fmt.Sprintf("%s %s at %s", h.ID, h.Subject, r.Hop)
			switch {
			case h.Blocks():
				blocking = append(blocking, line)
			case !h.Accepted && h.Severity.Rank() >= policy.Warning.Rank():
				others = append(others, line)
			}
		}
		for _, s := range r.Skipped {
			skipped = append(skipped, s.ID+" ("+s.Reason+")")
		}
	}
	fix := "kubectl skew plan lists each hazard with its fix; --accept-hazard ID acknowledges one"
	not := ""
	if len(skipped) > 0 {
		not = "; not judged: " + short(skipped)
	}
	switch {
	case len(blocking) > 0:
		v.add(CheckHazards, Fail, "blocking hop hazards: "+short(blocking)+not, fix)
	case len(others) > 0 && o.Strict:
		v.add(CheckHazards, Fail, "hop hazards: "+short(others)+not, fix)
	case len(others) > 0:
		v.add(CheckHazards, Warn, "hop hazards: "+short(others)+not, fix+"; --strict makes this a failure")
	case len(skipped) > 0:
		v.add(CheckHazards, Skipped, "no hop hazard found"+not, "grant list on what the skipped hazards read to have them judged")
	default:
		v.add(CheckHazards, Pass, "no known hop hazard on the path", "")
	}
}

// short lists at most five items, then a count.
func short(items []string) string {
	if n := len(items); n > 5 {
		items = append(items[:5:5], fmt.Sprintf("and %d more", n-5))
	}
	return strings.Join(items, "; ")
}
