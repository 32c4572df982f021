package table

import (
	"bytes"
	"fmt"
	"io"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// WriteRancherStatus prints where a Rancher cluster stands: provisioned (its control
// plane and Machines) or imported (Rancher's Upgraded condition and its nodes).
func WriteRancherStatus(w io.Writer, r *report.RancherStatus) error {
	var buf bytes.Buffer
	writeRancherStatus(&buf, r)
	_, err := io.Copy(w, &buf)
	return err
}

func writeRancherStatus(w io.Writer, r *report.RancherStatus) {
	if r.Mode == "imported" {
		writeImportedStatus(w, r)
		return
	}
	fmt.Fprintf(w, "Rancher cluster %s (provisioned): %s; spec %s, applied %s", r.Cluster, r.State, r.KubernetesVersion, text.OrDash(r.AppliedVersion))
	if r.Target != "" {
		fmt.Fprintf(w, ", target %s", r.Target)
	}
	fmt.Fprintf(w, "\ncontrol plane: Ready %s, Stable %s, Reconciled %s", text.OrDash(r.Ready), text.OrDash(r.Stable), text.OrDash(r.Reconciled))
	if r.Message != "" {
		fmt.Fprintf(w, ": %s", r.Message)
	}
	fmt.Fprintln(w)
	if r.SnapshotPhase != "" || r.RestorePhase != "" {
		fmt.Fprintf(w, "last snapshot: %s; last restore: %s\n", text.OrDash(r.SnapshotPhase), text.OrDash(r.RestorePhase))
	}
	writeMachines(w, "MACHINES", r.Machines)
	if r.Rollback != nil {
		fmt.Fprintf(w, "\nROLLBACK: %s (taken %s, Kubernetes %s)\n", r.Rollback.Name, r.Rollback.CreatedAt, text.OrDash(r.Rollback.KubernetesVersion))
	} else {
		fmt.Fprintln(w, "\nROLLBACK: no snapshot recorded by kubectl skew upgrade")
	}
	fmt.Fprintf(w, "NEXT: %s\n", r.Next)
}

func writeImportedStatus(w io.Writer, r *report.RancherStatus) {
	name := r.Cluster
	if r.DisplayName != "" {
		name += " (" + r.DisplayName + ")"
	}
	fmt.Fprintf(w, "Rancher cluster %s (imported): %s; spec %s, Rancher reports %s", name, r.State, r.KubernetesVersion, text.OrDash(r.AppliedVersion))
	if r.Hop != "" {
		fmt.Fprintf(w, ", hop to %s", r.Hop)
	}
	fmt.Fprintf(w, "\nUpgraded %s", text.OrDash(r.Upgraded))
	if r.Message != "" {
		fmt.Fprintf(w, ": %s", r.Message)
	}
	fmt.Fprintf(w, "; Ready %s\n", text.OrDash(r.Ready))
	writeMachines(w, "NODES", r.Machines)
	fmt.Fprintf(w, "NEXT: %s\n", r.Next)
}

// writeMachines is the table of a Rancher cluster's machines (provisioned) or nodes
// (imported), each done once it runs the target.
func writeMachines(w io.Writer, title string, machines []report.RancherMachine) {
	fmt.Fprintf(w, "\n%s (%d)\n", title, len(machines))
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "NAME\tNODE\tROLES\tKUBELET\tSTATUS")
	for _, m := range machines {
		st := "pending"
		if m.Done {
			st = "done"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, text.OrDash(m.Node), m.Roles, text.OrDash(m.KubeletVersion), st)
	}
	tw.Flush()
}
