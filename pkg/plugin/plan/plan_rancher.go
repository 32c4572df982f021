package plan

import (
	"context"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// planRancher plans a Rancher cluster from the management cluster's objects; a hop
// whose version this Rancher does not support is blocked.
func (o *PlanOptions) planRancher(ctx context.Context) (*report.PlanReport, error) {
	m, _, err := o.rancher.ReadManaged(ctx, o.env)
	if err != nil {
		return nil, err
	}
	path, _, err := o.ResolvePath(ctx, m.Inventory(), &o.cfg.Hazards)
	if err != nil {
		return nil, err
	}
	for i := range path.Hops {
		h := &path.Hops[i]
		h.Blocking = append(h.Blocking, m.RancherSettings().Findings(path.Distro, h.To)...)
	}
	r := report.Plan(path, o.upgradeCommand(), false)
	report.MovedByRancher(r, o.upgradeCommand())
	r.Notes = append(r.Notes, m.PlanNote())
	return r, nil
}
