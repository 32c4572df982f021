package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// WriteStatus draws where an upgrade stands: the summary, the Plans, the current
// hop's nodes, the failures, nodes left to a manual upgrade, accepted hazards, the
// snapshot, the rollback advice when something failed, and the next step. Wide adds
// the Job of each node and the rollback advice in every state. With no upgrade it is
// one line, never coloured.
func WriteStatus(w io.Writer, r *report.StatusReport, opts Options) error {
	wide, color := opts.Wide, opts.Color
	var buf bytes.Buffer
	s := r.Summary
	if r.Run != nil && len(r.Plans) == 0 {
		return writeRun(w, r, color)
	}
	if s.State == report.StateNone {
		fmt.Fprintf(&buf, "No upgrade: %s\n", s.Next)
		return flush(w, buf.Bytes(), false)
	}
	hop := fmt.Sprintf("hop %d of %d", s.Hop, s.Hops)
	if s.Hop == 0 {
		hop = "hop"
	}
	fmt.Fprintf(&buf, "Upgrade to %s (%s, namespace %s): %s, %s (%s) %s: %d done, %d applying, %d pending, %d failed\n",
		text.OrDash(s.Target), distroName(s.Distro), s.Namespace, s.State, hop, s.HopVersion, s.Phase, s.Done, s.Applying, s.Pending, s.Failed)
	if len(s.Path) > 0 {
		fmt.Fprintf(&buf, "Path: %s\n", strings.Join(s.Path, " -> "))
	}

	fmt.Fprintln(&buf, "\nPLANS")
	tw := printers.GetNewTabWriter(&buf)
	fmt.Fprintln(tw, "NAME\tROLE\tVERSION\tHOP\tNODES\tDONE\tAPPLYING\tFAILED\tCOMPLETE")
	for _, p := range r.Plans {
		applying := "-"
		if len(p.Applying) > 0 {
			applying = strings.Join(p.Applying, ",")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%d\t%v\n", p.Name, p.Role, p.Version, hopCell(p.Hop), p.Nodes, p.Done, applying, p.Failed, p.Complete)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(&buf, "\nNODES (%s, %s)\n", hop, s.Phase)
	tw = printers.GetNewTabWriter(&buf)
	header := "NAME\tROLE\tVERSION\tSTATE\tCORDONED\tREADY"
	if wide {
		header += "\tJOB"
	}
	fmt.Fprintln(tw, header)
	for _, n := range r.Nodes {
		ready := "Ready"
		if !n.Ready {
			ready = "NotReady"
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%v\t%s", n.Name, n.Role, n.Version, n.State, n.Cordoned, ready)
		if wide {
			row += "\t" + text.OrDash(n.Job)
		}
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	var failed, manual [][]string
	for _, f := range r.Failures {
		msg := f.Message
		if f.Blocker != "" {
			msg = "drain blocked: " + f.Blocker
		}
		failed = append(failed, []string{f.Node, f.Job, msg})
	}
	for _, m := range r.Manual {
		manual = append(manual, []string{m.Name, m.Version, m.Target, m.Reason})
	}
	if err := section(&buf, "FAILED JOBS", []string{"NODE", "JOB", "MESSAGE"}, failed); err != nil {
		return err
	}
	if err := section(&buf, "MANUAL UPGRADE (SKEW701: no upgrade image; no Plan selects them)", []string{"NODE", "KUBELET", "HOP VERSION", "WHY"}, manual); err != nil {
		return err
	}
	var accepted [][]string
	for _, h := range r.AcceptedHazards {
		accepted = append(accepted, []string{h.ID, h.Title})
	}
	if err := section(&buf, "ACCEPTED HAZARDS (--accept-hazard)", []string{"ID", "HAZARD"}, accepted); err != nil {
		return err
	}
	if r.Snapshot != nil {
		fmt.Fprintf(&buf, "\nSNAPSHOT: %s, taken on %s before the upgrade\n", r.Snapshot.Name, r.Snapshot.Node)
	}
	if len(r.Rollback) > 0 && (wide || s.State == report.StateFailed) {
		fmt.Fprintln(&buf, "\nROLLBACK (only if the hop cannot be finished)")
		for i, step := range r.Rollback {
			fmt.Fprintf(&buf, "%d. %s\n", i+1, step)
		}
	}
	if s.Canary != "" {
		fmt.Fprintf(&buf, "\nCANARY: %s\n", s.Canary)
	}
	if s.Window != "" {
		fmt.Fprintf(&buf, "\nMAINTENANCE WINDOW: %s\n", s.Window)
	}
	fmt.Fprintf(&buf, "\nNEXT: %s\n", s.Next)
	b := buf.Bytes()
	if color {
		b = bytes.ReplaceAll(b, []byte(" failed "), []byte(" "+ANSIRed+"failed"+ANSIReset+" "))
	}
	return flush(w, b, color)
}

// hopCell is a Plan's hop number, "-" when it is not known (0).
func hopCell(h int) string {
	if h == 0 {
		return "-"
	}
	return fmt.Sprint(h)
}

// section writes a titled table, or nothing when it has no rows.
func section(buf *bytes.Buffer, title string, header []string, rows [][]string) error {
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintf(buf, "\n%s\n", title)
	tw := printers.GetNewTabWriter(buf)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}
