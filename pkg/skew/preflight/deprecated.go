package preflight

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// checkDeprecated judges every source of the removed-API scan against the path's hops.
func checkDeprecated(v verdicts, f *Facts, o Options) {
	if f.Path == nil || len(f.Path.Hops) == 0 {
		v.add(CheckDeprecated, Skipped, "no hop to check", "")
		return
	}
	if f.APIsErr != nil || f.APIs == nil {
		why := "no scan was run"
		if f.APIsErr != nil {
			why = reason(f.APIsErr)
		}
		v.add(CheckDeprecated, Skipped, "cannot scan for removed APIs: "+why+"; whether one is still in use is unknown", "")
		return
	}
	hops := judge.PathHops(f.Inventory, f.Path, o.judging())
	verdicts, ok := judge.JudgeAPIs(hops, f.APIs)
	if !ok {
		v.add(CheckDeprecated, Skipped, "cannot judge the removed-API scan: the control plane's version is unknown; whether one is still in use is unknown", "")
		return
	}
	from, to := hops.From.MinorVersion(), f.Path.Target.MinorVersion()
	fs := deprecation.Findings(verdicts)
	removed := policy.AtLeast(fs, policy.Error)
	var skipped []string
	for _, s := range f.APIs.Skipped {
		skipped = append(skipped, s.What+" ("+s.Reason+")")
	}
	if len(removed) == 0 {
		msg := fmt.Sprintf("nothing in %s uses an API that %s to %s removes", f.APIs.Summary(), from.Add(1), to)
		if len(skipped) > 0 {
			v.add(CheckDeprecated, Skipped, msg+"; not read: "+strings.Join(skipped, ", "), "ask for list on secrets and configmaps, and get on the nonResourceURL /metrics, to have every source checked")
			return
		}
		v.add(CheckDeprecated, Pass, msg, "")
		return
	}
	list := make([]string, 0, len(removed))
	for _, r := range removed {
		list = append(list, r.Message)
	}
	if n := len(list); n > 5 {
		list = append(list[:5], fmt.Sprintf("and %d more", n-5))
	}
	msg := fmt.Sprintf("%s on the way to %s: %s", text.Plural(len(removed), "use"), to, strings.Join(list, "; "))
	fix := "move each to its replacement before the hop that removes it (kubectl skew check --target " + to.String() + " lists every finding with its fix)"
	if o.Strict {
		v.add(CheckDeprecated, Fail, msg, fix)
		return
	}
	v.add(CheckDeprecated, Warn, msg, fix+"; --strict makes this a failure")
}
