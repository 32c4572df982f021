package table

import (
	"fmt"
	"io"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// WriteRollbackRunbook prints the runbook for a person: the snapshot, then each step with
// where it runs, its commands and the check before the next.
func WriteRollbackRunbook(w io.Writer, r *report.RollbackRunbook) {
	fmt.Fprintf(w, "Rollback of %s from %s to %s (datastore: %s)\n", r.Distro, text.OrDash(r.Failed), r.From, r.Datastore)
	if s := r.Snapshot; s != nil {
		how := "the newest ready snapshot taken before the hop"
		if s.Recorded {
			how = "taken by kubectl skew upgrade --snapshot"
		}
		fmt.Fprintf(w, "Snapshot: %s (ETCDSnapshotFile %s), %s\n", s.Name, text.OrDash(s.Object), how)
		fmt.Fprintf(w, "  node %s, location %s, size %s, taken %s (%s ago)\n", s.Node, s.Location, text.OrDash(s.Size), s.Created, s.Age)
	}
	fmt.Fprintln(w, "Downgrades are not supported: this restores the cluster's state as it was then; whatever changed since is lost.")
	for _, n := range r.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
	for _, st := range r.Steps {
		where := "where kubectl reaches the cluster"
		if st.Node != "" {
			where = "on " + st.Role + " " + st.Node + " (as root)"
		}
		fmt.Fprintf(w, "\n%d. %s\n   Run %s:\n", st.Number, st.Title, where)
		for _, c := range st.Commands {
			fmt.Fprintf(w, "     %s\n", c)
		}
		fmt.Fprintf(w, "   Check before going on: %s\n", st.Check)
	}
}

// WriteRollbackVerify prints the verdict, with what is still wrong per node.
func WriteRollbackVerify(w io.Writer, r *report.RollbackVerify) {
	switch r.State {
	case report.RollbackComplete:
		fmt.Fprintf(w, "Rollback complete: every node runs %s and is Ready, and no Plan of ours is left.\n", r.Expect)
	case report.RollbackNotStarted:
		fmt.Fprintf(w, "Rollback not started: no node runs %s yet.\n", r.Expect)
	default:
		fmt.Fprintf(w, "Rollback half done: some of the cluster is back on %s, not all of it.\n", r.Expect)
	}
	if len(r.Plans) > 0 {
		fmt.Fprintf(w, "  Plans of ours still exist (%v): the snapshot was not restored, or they were created again; the runbook's step 1 deletes them.\n", r.Plans)
	}
	for _, n := range r.Nodes {
		if len(n.Problems) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %s (%s): ", n.Name, n.Role)
		for i, p := range n.Problems {
			if i > 0 {
				fmt.Fprint(w, "; ")
			}
			fmt.Fprint(w, p)
		}
		fmt.Fprintln(w)
	}
}
