package upgrade

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade/viarancher"
)

// rancherDriver is the engine's driver for the cluster --rancher-cluster names, an
// imported or a provisioned one, found once.
func (o *UpgradeOptions) rancherDriver(ctx context.Context, c *cmdutil.Clients) (upgrade.Driver, error) {
	imported, err := o.rancher.Detect(ctx, o.env)
	if err != nil {
		return nil, err
	}
	readOnly := o.DryRun != dryRunNone
	if imported {
		d := &viarancher.Imported{Name: o.rancher.Ref(), Timeout: o.Timeout, ReadOnly: readOnly, Strategy: o.imported.change(o.changed, &o.cfg.Plans)}
		if name := o.imported.DownstreamContext; name != "" {
			dc, err := cmdutil.NewClients(cmdutil.FlagsForContext(o.env.Flags, name), o.env.Streams)
			if err != nil {
				return nil, fmt.Errorf("--downstream-context %s: %w", name, err)
			}
			down := o.config(dc)
			if !o.changed("suc-namespace") {
				down.Plans.Namespace = "cattle-system" // Rancher's own system-upgrade-controller
			}
			d.Downstream, d.DownstreamName = &down, name
		}
		return d, nil
	}
	if served, derr := cluster.Served(c.Discovery, rancher.ClusterResource); derr == nil && !served {
		return nil, fmt.Errorf("this is not a Rancher management cluster (provisioning.cattle.io/v1 clusters is not served at %s): use the context of Rancher's local cluster with --rancher-cluster", c.Server)
	}
	if c.Dynamic == nil {
		return nil, errors.New("the Rancher mode needs a dynamic client")
	}
	return &viarancher.Provisioned{Namespace: o.rancher.Namespace, Name: o.rancher.Name, Timeout: o.Timeout, ReadOnly: readOnly,
		Snapshot: o.cfg.Snapshot || !o.changed("snapshot")}, nil
}

// runRancher upgrades a cluster through Rancher with the engine: the same path,
// refusals and hop loop as the SUC driver, Rancher moving the nodes.
func (o *UpgradeOptions) runRancher(ctx context.Context) error {
	c, err := o.env.Clients()
	if err != nil {
		return err
	}
	d, err := o.rancherDriver(ctx, c)
	if err != nil {
		return err
	}
	ref, w := o.rancher.Ref(), o.env.Streams.Out
	cfg := o.config(c)
	cfg.Driver = d
	p, err := upgrade.Prepare(ctx, cfg)
	var re *cluster.ReadError
	var missing *access.MissingError
	switch {
	case errors.As(err, &missing):
		return missing
	case errors.As(err, &re):
		return cmdutil.APIError(re.What, c.Server, cmdutil.UnwrapAPI(re.Err))
	case err == nil:
		err = p.Refusal()
	}
	if err != nil {
		return fmt.Errorf("refusing to upgrade %s: %w; nothing was changed", ref, err)
	}
	for _, line := range p.Summary {
		fmt.Fprintln(w, line)
	}
	for _, line := range p.Warnings {
		fmt.Fprintf(o.env.Streams.ErrOut, "warning: %s\n", line)
	}
	_, imported := d.(*viarancher.Imported)
	if p.Step == nil {
		fmt.Fprintf(w, "Nothing to do: every %s runs %s\n", map[bool]string{true: "node", false: "machine"}[imported], p.Path.Target)
		return nil
	}
	if o.DryRun != dryRunNone {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return nil
	}
	if !o.Yes {
		if err := o.env.Confirm(ctx, fmt.Sprintf("Set %s to %s through Rancher?", ref, p.Step.Hop.To), "pass --yes to upgrade without asking"); err != nil {
			return err
		}
	}
	res, err := o.execute(ctx, cfg, p)
	if err != nil || !res.Complete {
		return err
	}
	if imported {
		fmt.Fprintf(w, "\nUpgrade complete: Rancher reports %s and every node of %s runs it\n", p.Path.Target, ref)
	} else {
		fmt.Fprintf(w, "\nUpgrade complete: every machine of %s runs %s\n", ref, p.Path.Target)
	}
	return nil
}
