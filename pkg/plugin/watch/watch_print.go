package watch

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/watch"
)

// sampleSize bounds the findings one text line names: the first evaluation of a
// large cluster may find thousands.
const sampleSize = 5

// changePrinter writes one line per change of the findings.
type changePrinter struct {
	out  io.Writer
	json bool
}

// watchChange is a change as -o json prints it: one object a line.
type watchChange struct {
	Time          time.Time        `json:"time"`
	Nodes         int              `json:"nodes"`
	Errors        int              `json:"errors"`
	Warnings      int              `json:"warnings"`
	Info          int              `json:"info"`
	Added         []policy.Finding `json:"added"`
	Removed       []policy.Finding `json:"removed"`
	Target        string           `json:"target,omitempty"`
	TargetAdded   []policy.Finding `json:"targetAdded,omitempty"`
	TargetRemoved []policy.Finding `json:"targetRemoved,omitempty"`
}

func (p *changePrinter) print(c watch.Change) {
	s := c.State
	wc := watchChange{
		Time: s.Evaluated.UTC(), Nodes: s.Nodes, Added: cmdutil.NonNil(c.Added), Removed: cmdutil.NonNil(c.Removed),
		Target: s.Target, TargetAdded: c.TargetAdded, TargetRemoved: c.TargetRemoved,
	}
	for _, f := range s.Findings {
		switch f.Severity {
		case policy.Error:
			wc.Errors++
		case policy.Warning:
			wc.Warnings++
		case policy.Info:
			wc.Info++
		}
	}
	if p.json {
		b, err := json.Marshal(wc)
		if err == nil {
			fmt.Fprintf(p.out, "%s\n", b)
		}
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s, %s, %s", wc.Time.Format(time.RFC3339), text.Plural(wc.Nodes, "node"),
		text.Plural(wc.Errors, "error"), text.Plural(wc.Warnings, "warning"), text.Plural(wc.Info, "info"))
	part := func(label string, fs []policy.Finding) {
		if len(fs) > 0 {
			fmt.Fprintf(&b, "; %s %s", label, text.Sample(cmdutil.FindingLines(fs), sampleSize))
		}
	}
	part("new:", c.Added)
	part("gone:", c.Removed)
	part("new at --target "+s.Target+":", c.TargetAdded)
	part("gone at --target "+s.Target+":", c.TargetRemoved)
	fmt.Fprintln(p.out, b.String())
}
