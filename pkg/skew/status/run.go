package status

import (
	"fmt"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
)

// runReport is the run record as status shows it.
func runReport(r *runrecord.Record) *report.StatusRun {
	out := &report.StatusRun{Driver: r.Driver, Holder: r.Holder, State: r.State, Target: r.Target, Hops: r.Hops, Hop: r.Hop,
		Node: r.Node, NodeState: r.NodeState, Updated: r.Updated.UTC().Format(time.RFC3339), AbortRequested: r.AbortRequested,
		Message: r.Message, Nodes: []report.StatusRunNode{}}
	for _, n := range r.Nodes {
		out.Nodes = append(out.Nodes, report.StatusRunNode{Name: n.Name, Role: n.Role, From: n.From, To: n.To, State: n.State, Log: n.Log})
	}
	return out
}

// fromRun is the summary of a cluster whose upgrade is a run of ours without Plans.
func fromRun(r *report.StatusReport, rec *runrecord.Record) {
	run := runReport(rec)
	r.Run = run
	s := &r.Summary
	s.Distro, s.Target, s.Path = rec.Distro, rec.Target, rec.Hops
	for _, n := range rec.Nodes {
		switch n.State {
		case runrecord.NodeDone:
			s.Done++
		case runrecord.NodeFailed:
			s.Failed++
		default:
			s.Applying++
		}
		s.HopVersion, s.From = n.To, n.From
	}
	switch rec.State {
	case runrecord.StateRunning:
		s.State = report.StateInProgress
		s.Next = fmt.Sprintf("a kubectl skew upgrade --driver %s run (%s) is at %s (%s); kubectl skew abort stops it before its next node", rec.Driver, rec.Holder, text.OrDash(rec.Node), text.OrDash(rec.NodeState))
	case runrecord.StateDone:
		s.State = report.StateComplete
		s.Next = "every node runs " + rec.Target + "; kubectl skew check confirms the skew rules"
	default:
		s.State = report.StateFailed
		s.Next = fmt.Sprintf("the run stopped (%s): %s; run the same kubectl skew upgrade command again to resume, or kubectl skew rollback for the way back", rec.State, text.OrDash(rec.Message))
	}
}
