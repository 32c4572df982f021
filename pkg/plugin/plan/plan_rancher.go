package plan

import (
	"context"
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// planImported plans an imported cluster from its management Nodes; a hop this
// Rancher does not support is blocked.
func (o *PlanOptions) planImported(ctx context.Context) (*report.PlanReport, error) {
	s, _, err := o.rancher.ReadImported(ctx, o.env)
	if err != nil {
		return nil, err
	}
	r, err := o.rancherReport(ctx, s.Inventory(), s.Settings)
	if err != nil {
		return nil, err
	}
	r.Notes = append(r.Notes, fmt.Sprintf("%s is an imported %s cluster: Rancher upgrades it through its own system-upgrade-controller Plans, servers first, then the other nodes; kubectl skew upgrade --rancher-cluster sets spec.%sConfig.kubernetesVersion once per hop and checks every node between hops (Rancher takes no snapshot of an imported cluster)",
		s.Cluster.Name, s.Distro().Name(), s.Cluster.Driver))
	return r, nil
}

// planRancher plans a provisioned cluster from its Machines; a hop this Rancher does
// not support is blocked.
func (o *PlanOptions) planRancher(ctx context.Context) (*report.PlanReport, error) {
	if imported, err := o.rancher.Detect(ctx, o.env); err != nil || imported {
		if err != nil {
			return nil, err
		}
		return o.planImported(ctx)
	}
	s, _, err := o.rancher.Read(ctx, o.env)
	if err != nil {
		return nil, err
	}
	r, err := o.rancherReport(ctx, s.Inventory(), s.Settings)
	if err != nil {
		return nil, err
	}
	r.Notes = append(r.Notes, fmt.Sprintf("Rancher moves every node of %s to each hop's version itself (etcd, then control plane, then workers); kubectl skew upgrade --rancher-cluster takes an etcd snapshot before each hop and sets the version one hop at a time", o.rancher.Ref()))
	return r, nil
}

// rancherReport plans a Rancher cluster's path; a hop whose version this Rancher does
// not support is blocked.
func (o *PlanOptions) rancherReport(ctx context.Context, inv *cluster.Inventory, settings rancher.Settings) (*report.PlanReport, error) {
	path, _, err := o.ResolvePath(ctx, inv, &o.cfg.Hazards)
	if err != nil {
		return nil, err
	}
	for i := range path.Hops {
		h := &path.Hops[i]
		h.Blocking = append(h.Blocking, settings.Findings(h.To)...)
	}
	return Report(path, o.upgradeCommand()), nil
}
