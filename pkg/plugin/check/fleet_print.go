package check

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

func (o *CheckOptions) printFleet(list *report.CheckReportList) error {
	return o.env.PrintReport(o.out, list, func(w io.Writer, wide bool) { writeFleetTable(w, list, wide) })
}

// writeFleetTable prints a summary line and one row per cluster, worst first.
func writeFleetTable(w io.Writer, list *report.CheckReportList, wide bool) {
	s := list.Summary
	fmt.Fprintf(w, "%s: %d clean, %d with findings at or above %s, %d could not be checked\n\n",
		cmdutil.Plural(s.Contexts, "context"), s.Clean, s.Failing, s.FailOn, s.Unreadable)
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
				row = append(row, "-", "-", "-", cmdutil.OrDash(it.Server))
			}
			row = append(row, it.Error)
		} else {
			sum := it.Summary
			row = []string{it.Context, cmdutil.DistroName(sum.Distro), controlPlaneCell(sum), cmdutil.OrDash(sum.LowestKubelet), cmdutil.OrDash(sum.HighestKubelet),
				fmt.Sprint(sum.Nodes), fmt.Sprint(sum.Errors), fmt.Sprint(sum.Warnings)}
			if s.Channel != "" {
				row = append(row, nextCell(it.Next))
			}
			if wide {
				row = append(row, fmt.Sprint(sum.Servers), fmt.Sprint(sum.Agents), cmdutil.OrDash(findingIDs(it)), cmdutil.OrDash(it.Server))
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
	return cmdutil.OrDash(s.ControlPlane)
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
	cell := fmt.Sprintf("%s (%s)", n.Target, cmdutil.Plural(len(n.Hops), "hop"))
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
