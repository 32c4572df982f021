package table

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// watchSample bounds the findings one change line names: the first evaluation of a
// large cluster may find thousands.
const watchSample = 5

// WriteWatchChange writes a change of the findings as one line: when, how many nodes
// and findings by severity, then the findings that appeared and went, at most a few
// of each. Watch prints no table: a line per change reads well in a log.
func WriteWatchChange(w io.Writer, c *report.WatchChange) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s, %s, %s", c.Time.Format(time.RFC3339), text.Plural(c.Nodes, "node"),
		text.Plural(c.Errors, "error"), text.Plural(c.Warnings, "warning"), text.Plural(c.Info, "info"))
	part := func(label string, fs []policy.Finding) {
		if len(fs) > 0 {
			fmt.Fprintf(&b, "; %s %s", label, text.Sample(findingLines(fs), watchSample))
		}
	}
	part("new:", c.Added)
	part("gone:", c.Removed)
	part("new at --target "+c.Target+":", c.TargetAdded)
	part("gone at --target "+c.Target+":", c.TargetRemoved)
	if _, err := fmt.Fprintln(w, b.String()); err != nil {
		return fmt.Errorf("write the change: %w", err)
	}
	return nil
}

// findingLines renders each finding as one string: severity, ID, subject and message.
func findingLines(fs []policy.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s %s %s (%s)", f.Severity, f.ID, f.Subject, f.Message)
	}
	return out
}
