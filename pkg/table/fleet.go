package table

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// WriteFleet draws a fleet check: a summary line and one row per context, in the
// order of the list (worst first). Wide adds the server and agent counts, the IDs of
// the findings and each context's API server.
func WriteFleet(w io.Writer, list *report.CheckReportList, opts Options) error {
	var buf bytes.Buffer
	writeFleet(&buf, list, opts.Wide)
	return flush(w, buf.Bytes(), opts.Color)
}

func writeFleet(w io.Writer, list *report.CheckReportList, wide bool) {
	s := list.Summary
	fmt.Fprintf(w, "%s: %d clean, %d with findings at or above %s, %d could not be checked\n\n",
		text.Plural(s.Contexts, "context"), s.Clean, s.Failing, s.FailOn, s.Unreadable)
	tw := printers.GetNewTabWriter(w)
	header := []string{"CONTEXT", "DISTRO", "CONTROL-PLANE", "LOWEST-KUBELET", "HIGHEST-KUBELET", "NODES", "ERRORS", "WARNINGS"}
	if s.Channel != "" {
		header = append(header, "NEXT ("+strings.ToUpper(s.Channel)+")")
	}
	if wide {
		header = append(header, "SERVERS", "AGENTS", "FINDINGS", "SERVER")
	}
	header = append(header, "PROBLEM")
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, it := range list.Items {
		var row []string
		if it.Error != "" {
			row = []string{it.Context, "-", "-", "-", "-", "-", "-", "-"}
			if s.Channel != "" {
				row = append(row, "-")
			}
			if wide {
				row = append(row, "-", "-", "-", text.OrDash(it.Server))
			}
			row = append(row, it.Error)
		} else {
			sum := it.Summary
			row = []string{it.Context, distroName(sum.Distro), controlPlaneCell(sum), text.OrDash(sum.LowestKubelet), text.OrDash(sum.HighestKubelet),
				fmt.Sprint(sum.Nodes), fmt.Sprint(sum.Errors), fmt.Sprint(sum.Warnings)}
			if s.Channel != "" {
				row = append(row, nextCell(it.Next))
			}
			if wide {
				row = append(row, fmt.Sprint(sum.Servers), fmt.Sprint(sum.Agents), text.OrDash(findingIDs(it)), text.OrDash(it.Server))
			}
			row = append(row, problemCell(it))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	tw.Flush()
}

func controlPlaneCell(s report.CheckSummary) string {
	if s.OldestControlPlane != "" {
		return s.OldestControlPlane + ".." + s.ControlPlane
	}
	return text.OrDash(s.ControlPlane)
}

func nextCell(n *report.NextStep) string {
	switch {
	case n == nil:
		return "-"
	case n.Error != "":
		return "unknown"
	case n.UpToDate:
		return "up to date"
	}
	cell := fmt.Sprintf("%s (%s)", n.Target, text.Plural(len(n.Hops), "hop"))
	if n.Blocked {
		cell += " blocked"
	}
	return cell
}

// problemCell names the worst finding, so the row says what to look at first.
func problemCell(r report.CheckReport) string {
	if r.Next != nil && r.Next.Error != "" && len(r.Findings) == 0 {
		return "next step: " + r.Next.Error
	}
	if len(r.Findings) == 0 {
		return "-"
	}
	f := r.Findings[0]
	more := ""
	if len(r.Findings) > 1 {
		more = fmt.Sprintf(" (+%d more)", len(r.Findings)-1)
	}
	return fmt.Sprintf("%s %s %s%s", f.Severity, f.ID, f.Subject, more)
}

func findingIDs(r report.CheckReport) string {
	seen := map[string]bool{}
	var ids []string
	for _, f := range r.Findings {
		if !seen[f.ID] {
			seen[f.ID] = true
			ids = append(ids, f.ID)
		}
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}
