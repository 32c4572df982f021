package check

import (
	"context"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// runRancher checks a Rancher cluster from the management cluster's objects, and the
// target against the versions this Rancher supports.
func (o *CheckOptions) runRancher(ctx context.Context) error {
	m, _, err := o.rancher.ReadManaged(ctx, o.env)
	if err != nil {
		return err
	}
	inv := m.Inventory()
	findings := judge.Skew(inv, o.cfg.Target)
	if o.cfg.Target != nil {
		findings = append(findings, m.RancherSettings().Findings(inv.Distro, o.cfg.Target.Version)...)
		policy.Sort(findings)
	}
	r := report.Check(inv, findings, o.failOn, o.Target)
	r.Context = m.Context()
	if err := o.print(r); err != nil {
		return err
	}
	if r.Summary.Failed {
		return &cmdutil.FindingsError{Count: policy.Count(r.Findings, o.failOn)}
	}
	return nil
}
