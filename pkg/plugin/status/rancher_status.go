package status

import (
	"context"
	"fmt"
	"io"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// runRancher prints where a Rancher-provisioned cluster stands. It exits 3 when Rancher
// reports an error.
func (o *StatusOptions) runRancher(ctx context.Context) error {
	r, err := o.rancherStatus(ctx)
	if err != nil {
		return err
	}
	w := o.env.Streams.Out
	if o.out.Structured() {
		err = o.out.Print(w, r)
	} else {
		writeRancherStatus(w, r)
	}
	if err != nil {
		return err
	}
	if r.State == "error" {
		return &cmdutil.FindingsError{Count: 1}
	}
	return nil
}

// rancherStatus reads the status of an imported or a provisioned cluster.
func (o *StatusOptions) rancherStatus(ctx context.Context) (*report.RancherStatus, error) {
	m, _, err := o.rancher.ReadManaged(ctx, o.env)
	if err != nil {
		return nil, err
	}
	return m.CurrentStatus(), nil
}

func writeRancherStatus(w io.Writer, r *report.RancherStatus) {
	if r.Mode == "imported" {
		writeImportedStatus(w, r)
		return
	}
	fmt.Fprintf(w, "Rancher cluster %s (provisioned): %s; spec %s, applied %s", r.Cluster, r.State, r.KubernetesVersion, cmdutil.OrDash(r.AppliedVersion))
	if r.Target != "" {
		fmt.Fprintf(w, ", target %s", r.Target)
	}
	fmt.Fprintf(w, "\ncontrol plane: Ready %s, Stable %s, Reconciled %s", cmdutil.OrDash(r.Ready), cmdutil.OrDash(r.Stable), cmdutil.OrDash(r.Reconciled))
	if r.Message != "" {
		fmt.Fprintf(w, ": %s", r.Message)
	}
	fmt.Fprintln(w)
	if r.SnapshotPhase != "" || r.RestorePhase != "" {
		fmt.Fprintf(w, "last snapshot: %s; last restore: %s\n", cmdutil.OrDash(r.SnapshotPhase), cmdutil.OrDash(r.RestorePhase))
	}
	writeMachines(w, "MACHINES", r.Machines)
	if r.Rollback != nil {
		fmt.Fprintf(w, "\nROLLBACK: %s (taken %s, Kubernetes %s)\n", r.Rollback.Name, r.Rollback.CreatedAt, cmdutil.OrDash(r.Rollback.KubernetesVersion))
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
	fmt.Fprintf(w, "Rancher cluster %s (imported): %s; spec %s, Rancher reports %s", name, r.State, r.KubernetesVersion, cmdutil.OrDash(r.AppliedVersion))
	if r.Hop != "" {
		fmt.Fprintf(w, ", hop to %s", r.Hop)
	}
	fmt.Fprintf(w, "\nUpgraded %s", cmdutil.OrDash(r.Upgraded))
	if r.Message != "" {
		fmt.Fprintf(w, ": %s", r.Message)
	}
	fmt.Fprintf(w, "; Ready %s\n", cmdutil.OrDash(r.Ready))
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, cmdutil.OrDash(m.Node), m.Roles, cmdutil.OrDash(m.KubeletVersion), st)
	}
	tw.Flush()
}
