package viacommand

import (
	"context"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
)

// Tidy ends the record of an earlier run of ours that stopped (killed, interrupted,
// aborted) after the last node's command: every node runs the target, so there is
// no step to take, yet the nodes that run cordoned and never uncordoned stay
// cordoned and the record still says running. It uncordons those (the record says
// the cordon was ours; the operator's stays) and marks the record done, holding the
// Lease meanwhile: a run that still holds it is refused in one line.
func (d *Driver) Tidy(ctx context.Context, p *upgrade.Proposal) error {
	r := d.record
	if r == nil || r.State == runrecord.StateDone || p.Path == nil || r.Target != p.Path.Target.String() {
		return nil
	}
	kube, ns := d.cfg.Kube, d.ns()
	if err := runrecord.Acquire(ctx, kube, ns, d.Holder, time.Now()); err != nil {
		return err
	}
	defer func() { _ = runrecord.Release(context.WithoutCancel(ctx), kube, ns, d.Holder) }()
	d.uncordonLeftovers(ctx)
	r.Holder, r.State, r.Message = d.Holder, runrecord.StateDone, "every node runs "+r.Target
	r.Hop, r.Node, r.NodeState, r.Updated = "", "", "", time.Now().UTC()
	return runrecord.Write(ctx, kube, ns, r)
}
