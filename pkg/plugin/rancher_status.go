package plugin

import (
	"context"
	"fmt"
	"io"

	"k8s.io/cli-runtime/pkg/printers"

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
		return &findingsError{count: 1}
	}
	return nil
}

// rancherStatus reads the status of an imported or a provisioned cluster.
func (o *StatusOptions) rancherStatus(ctx context.Context) (*report.RancherStatus, error) {
	imported, err := o.rancher.detect(ctx, o.env)
	if err != nil {
		return nil, err
	}
	if imported {
		s, _, err := o.rancher.readImported(ctx, o.env)
		if err != nil {
			return nil, err
		}
		return s.Status(), nil
	}
	s, _, err := o.rancher.read(ctx, o.env)
	if err != nil {
		return nil, err
	}
	return s.Status("kubectl skew rollback --rancher-cluster " + o.rancher.ref()), nil
}

func writeRancherStatus(w io.Writer, r *report.RancherStatus) {
	if r.Mode == "imported" {
		writeImportedStatus(w, r)
		return
	}
	fmt.Fprintf(w, "Rancher cluster %s (provisioned): %s; spec %s, applied %s", r.Cluster, r.State, r.KubernetesVersion, orDash(r.AppliedVersion))
	if r.Target != "" {
		fmt.Fprintf(w, ", target %s", r.Target)
	}
	fmt.Fprintf(w, "\ncontrol plane: Ready %s, Stable %s, Reconciled %s", orDash(r.Ready), orDash(r.Stable), orDash(r.Reconciled))
	if r.Message != "" {
		fmt.Fprintf(w, ": %s", r.Message)
	}
	fmt.Fprintln(w)
	if r.SnapshotPhase != "" || r.RestorePhase != "" {
		fmt.Fprintf(w, "last snapshot: %s; last restore: %s\n", orDash(r.SnapshotPhase), orDash(r.RestorePhase))
	}
	fmt.Fprintf(w, "\nMACHINES (%d)\n", len(r.Machines))
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "NAME\tNODE\tROLES\tKUBELET\tSTATUS")
	for _, m := range r.Machines {
		st := "pending"
		if m.Done {
			st = "done"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, orDash(m.Node), m.Roles, orDash(m.KubeletVersion), st)
	}
	tw.Flush()
	if r.Rollback != nil {
		fmt.Fprintf(w, "\nROLLBACK: %s (taken %s, Kubernetes %s)\n", r.Rollback.Name, r.Rollback.CreatedAt, orDash(r.Rollback.KubernetesVersion))
	} else {
		fmt.Fprintln(w, "\nROLLBACK: no snapshot recorded by kubectl skew upgrade")
	}
	fmt.Fprintf(w, "NEXT: %s\n", r.Next)
}
