package check

import (
	"context"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// runRancher checks a provisioned cluster from its Machines, and the target against
// the versions this Rancher supports.
func (o *CheckOptions) runRancher(ctx context.Context) error {
	if imported, err := o.rancher.Detect(ctx, o.env); err != nil || imported {
		if err != nil {
			return err
		}
		return o.runImported(ctx)
	}
	s, _, err := o.rancher.Read(ctx, o.env)
	if err != nil {
		return err
	}
	return o.printRancherCheck(s.Inventory(), s.Settings, "rancher:"+o.rancher.Ref())
}

// printRancherCheck judges a Rancher cluster's inventory, and a target against the
// versions this Rancher supports, then prints the report under the given context.
func (o *CheckOptions) printRancherCheck(inv *cluster.Inventory, settings rancher.Settings, context string) error {
	findings := judge.Skew(inv, o.cfg.Target)
	if o.cfg.Target != nil {
		findings = append(findings, settings.Findings(o.cfg.Target.Version)...)
		policy.Sort(findings)
	}
	r := report.Check(inv, findings, o.failOn, o.Target)
	r.Context = context
	if err := o.print(r); err != nil {
		return err
	}
	if r.Summary.Failed {
		return &cmdutil.FindingsError{Count: policy.Count(r.Findings, o.failOn)}
	}
	return nil
}

// runImported checks an imported cluster from Rancher's management Nodes, and the
// target against the versions this Rancher supports.
func (o *CheckOptions) runImported(ctx context.Context) error {
	s, _, err := o.rancher.ReadImported(ctx, o.env)
	if err != nil {
		return err
	}
	return o.printRancherCheck(s.Inventory(), s.Settings, "rancher-imported:"+s.Cluster.Name)
}
