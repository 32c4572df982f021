// Package status is "kubectl skew status": where an upgrade stands.
package status

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/status"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// StatusOptions holds "kubectl skew status".
type StatusOptions struct {
	env       *cmdutil.Env
	out       *cmdutil.OutputFlags
	Namespace string
	rancher   cmdutil.RancherFlags
}

// NewCmdStatus builds "kubectl skew status".
func NewCmdStatus(env *cmdutil.Env) *cobra.Command {
	o := &StatusOptions{env: env, out: cmdutil.NewOutputFlags(false, cmdutil.FormatWide), Namespace: suc.DefaultNamespace}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show where an upgrade by kubectl skew stands: Plans, current hop, each node, failures, next step",
		Long: `Status reads the Plans that "kubectl skew upgrade" created, their Jobs and the nodes,
and says where the upgrade stands: the current hop and phase, each of its nodes as
done, applying, pending or failed (and cordoned), the failed Jobs with their
messages, the next step, and how to roll back (the etcd snapshot taken before the
upgrade, restored with the hop's previous version). It writes nothing.

Exit codes: 0, 1 error, 3 when an upgrade Job failed.`,
		Example: `  # Where does the upgrade stand?
  kubectl skew status

  # Every Plan and node, machine-readable
  kubectl skew status -o json

  # A cluster Rancher provisioned: its versions, machines and the snapshot a rollback restores
  kubectl skew status --rancher-cluster fleet-default/prod-east`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	cmd.Flags().StringVar(&o.Namespace, "suc-namespace", o.Namespace, "Namespace of the system-upgrade-controller and our Plans")
	o.rancher.AddFlags(cmd)
	o.out.AddFlags(cmd)
	return cmd
}

// Complete parses --rancher-cluster.
func (o *StatusOptions) Complete() error { return o.rancher.Complete() }

// Validate checks the flags before anything touches the cluster.
func (o *StatusOptions) Validate() error { return o.out.Validate() }

// Run reads and prints the status.
func (o *StatusOptions) Run(ctx context.Context) error {
	if o.rancher.Enabled() {
		return o.runRancher(ctx)
	}
	c, err := o.env.Clients()
	if err != nil {
		return err
	}
	if c.Dynamic == nil {
		return fmt.Errorf("status needs a dynamic client")
	}
	if err := cmdutil.RequireAccess(ctx, c, "status", access.Options{SUCNamespace: o.Namespace}); err != nil {
		return err
	}
	plans := &suc.Client{Dynamic: c.Dynamic, Namespace: o.Namespace}
	// A run of --driver command or manual has no Plans: its record says where it is.
	run, rerr := runrecord.Read(ctx, c.Kube, runrecord.DefaultNamespace)
	if rerr != nil && !apierrors.IsForbidden(rerr) {
		return cmdutil.APIError("read the run record", c.Server, cmdutil.UnwrapAPI(rerr))
	}
	in, err := status.Read(ctx, c.Kube, plans)
	if err != nil && run != nil {
		in, err = status.Input{Namespace: o.Namespace}, nil
	}
	in.Run = run
	if err != nil {
		if served, derr := cluster.Served(c.Discovery, suc.PlanResource); derr == nil && !served {
			return fmt.Errorf("no Plan API in this cluster (upgrade.cattle.io/v1 is not served): the system-upgrade-controller is not installed, so no upgrade runs; %s", preflight.SUCInstallHint)
		}
		return cmdutil.APIError("read the upgrade status", c.Server, cmdutil.UnwrapAPI(err))
	}
	r := status.Build(in)
	if err := cmdutil.PrintReport(o.env, o.out, r, table.WriteStatus); err != nil {
		return err
	}
	if r.Summary.State == report.StateFailed {
		return &cmdutil.FindingsError{Count: len(r.Failures)}
	}
	return nil
}
