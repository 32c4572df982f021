package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// writeRun prints a run of --driver command or manual, node by node.
func writeRun(w io.Writer, r *report.StatusReport, color bool) error {
	var buf bytes.Buffer
	run, s := r.Run, r.Summary
	fmt.Fprintf(&buf, "Upgrade to %s (%s, --driver %s, run by %s): %s", text.OrDash(run.Target), distroName(s.Distro), run.Driver, run.Holder, run.State)
	if run.Hop != "" && run.State == "running" {
		fmt.Fprintf(&buf, ", %s", run.Hop)
	}
	fmt.Fprintf(&buf, "; updated %s\n", run.Updated)
	if len(run.Hops) > 0 {
		fmt.Fprintf(&buf, "Path: %s\n", strings.Join(run.Hops, " -> "))
	}
	if run.Node != "" && run.State == "running" {
		fmt.Fprintf(&buf, "Now: %s (%s)\n", run.Node, run.NodeState)
	}
	if run.AbortRequested != "" {
		fmt.Fprintf(&buf, "Abort requested at %s: the run stops before its next node\n", run.AbortRequested)
	}
	rows := make([][]string, 0, len(run.Nodes))
	for _, n := range run.Nodes {
		rows = append(rows, []string{n.Name, n.Role, n.From, n.To, n.State, text.OrDash(n.Log)})
	}
	if err := section(&buf, "NODES", []string{"NAME", "ROLE", "FROM", "TO", "STATE", "LOG"}, rows); err != nil {
		return err
	}
	if run.Message != "" && run.State != "running" {
		fmt.Fprintf(&buf, "\nSTOPPED: %s\n", run.Message)
	}
	fmt.Fprintf(&buf, "\nNEXT: %s\n", s.Next)
	b := buf.Bytes()
	if color {
		b = bytes.ReplaceAll(b, []byte(" failed "), []byte(" "+ANSIRed+"failed"+ANSIReset+" "))
	}
	return flush(w, b, color)
}
