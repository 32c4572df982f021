// Package plan is "kubectl skew plan": the path to a target, one minor per hop, each hop checked.
package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// PlanOptions holds "kubectl skew plan".
type PlanOptions struct {
	env *cmdutil.Env
	out *cmdutil.OutputFlags
	cmdutil.TargetFlags
	// cfg is the judging's settings: the removed-API and hazard flags bind into it.
	cfg     judge.Config
	apis    cmdutil.APIFlags
	hazards cmdutil.HazardFlags
	rancher cmdutil.RancherFlags
}

// NewCmdPlan builds "kubectl skew plan".
func NewCmdPlan(env *cmdutil.Env) *cobra.Command {
	o := &PlanOptions{env: env, out: cmdutil.NewOutputFlags(false, cmdutil.FormatWide)}
	o.apis.APIs, o.hazards.Hazards = &o.cfg.APIs, &o.cfg.Hazards
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the upgrade path to a channel or version: one minor per hop, servers before agents",
		Long: `Plan shows, without changing anything, how "kubectl skew upgrade" would take a K3s or
RKE2 cluster to a release channel (--channel, default stable) or an exact release
(--version): one hop per minor, each pinned to one exact version (intermediate
hops take the newest release of their minor, channel v1.<minor>), servers one at a
time before agents, and the skew rules each hop must pass.

A cluster half way through a hop is planned from where it is. Agents too far
behind get an agents-only hop first. --agents final upgrades agents once, at the
last hop, when the skew policy allows it.

--version needs no channel server when the path stays within one minor; a longer
path needs the channel list (--channel-server for a mirror).

Each hop also lists what uses an API it removes (Helm releases, applied objects,
/metrics, -f manifests) and the charts whose kubeVersion excludes it: errors to fix
before that hop, which "upgrade --strict" refuses.

Each hop lists its hop hazards; a blocking one blocks the hop until it is fixed or
acknowledged with --accept-hazard, as it would fail the upgrade's preflight check.

Exit codes: 0 a clear path (or nothing to do), 1 error, 3 a finding or hazard blocks a hop.`,
		Example: `  # The path to the stable channel
  kubectl skew plan

  # To an exact release, agents upgraded once at the end
  kubectl skew plan --version v1.33.5+k3s1 --agents final

  # Air-gapped: a mirror of the channel server, machine-readable output
  kubectl skew plan --channel stable --channel-server https://mirror.example/v1-release/channels -o yaml`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	o.TargetFlags.AddFlags(cmd)
	o.apis.AddFlags(cmd)
	o.hazards.AddFlags(cmd, true)
	o.rancher.AddFlags(cmd)
	o.out.AddFlags(cmd)
	return cmd
}

// Complete parses the flags; with neither --channel nor --version the target is stable.
func (o *PlanOptions) Complete() error {
	if err := o.TargetFlags.Complete(); err != nil {
		return err
	}
	if err := o.rancher.Complete(); err != nil {
		return err
	}
	return o.apis.Complete(o.env.Streams.In)
}

// Validate checks the flags before anything touches the cluster.
func (o *PlanOptions) Validate() error {
	if err := errors.Join(o.TargetFlags.Validate(), o.hazards.Validate()); err != nil {
		return err
	}
	if err := o.rancher.WithoutFiles(o.apis.Files); err != nil {
		return err
	}
	return o.out.Validate()
}

// Run reads the cluster, plans the path and prints it. It writes nothing.
func (o *PlanOptions) Run(ctx context.Context) error {
	r, err := o.plan(ctx)
	if err != nil {
		return err
	}
	w := o.env.Streams.Out
	if o.out.Structured() {
		err = o.out.Print(w, r)
	} else {
		err = table.WritePlan(w, r, o.env.TableOptions(o.out))
	}
	if err != nil {
		return err
	}
	if r.Summary.Blocked {
		n := 0
		for _, h := range r.Hops {
			n += len(h.Blocking) + len(h.BlockingHazards)
		}
		return &cmdutil.FindingsError{Count: n}
	}
	return nil
}

// plan reads the cluster once, plans the path and judges it into the report.
func (o *PlanOptions) plan(ctx context.Context) (*report.PlanReport, error) {
	if err := o.hazards.LoadReleases(ctx); err != nil {
		return nil, err
	}
	if o.rancher.Enabled() {
		return o.planRancher(ctx)
	}
	c, err := o.env.Clients()
	if err != nil {
		return nil, err
	}
	if err := cmdutil.RequireAccess(ctx, c, "plan", access.Options{}); err != nil {
		return nil, err
	}
	inv, nodes, err := cmdutil.ReadCluster(ctx, o.env, c)
	if err != nil {
		return nil, err
	}
	if !inv.Distro.IsRancherDistro() {
		return nil, fmt.Errorf("plan works on K3s and RKE2 clusters, whose upgrades the system-upgrade-controller runs; this one's kubelets report %s (kubectl skew check works on any cluster)", inv.KubeletSample())
	}
	path, _, err := o.ResolvePath(ctx, inv, &o.cfg.Hazards)
	if err != nil {
		return nil, err
	}
	r := report.Plan(path, o.upgradeCommand(), install.RunsNixOS(inv))
	hops := judge.PathHops(inv, path, o.cfg)
	facts, err := judge.Read(ctx, cmdutil.JudgeSource(c, &o.apis), nodes, hops)
	if err != nil {
		return nil, err
	}
	j := judge.Judge(hops, facts, o.cfg.Hazards.Accepted)
	for _, s := range j.Skipped {
		fmt.Fprintf(o.env.Streams.ErrOut, "warning: skipped %s: %s\n", s.What, s.Reason)
	}
	r.APIs = j.APIScan
	for i, v := range j.PerHop(path) {
		h := &r.Hops[i]
		h.APIs, h.Hazards, h.BlockingHazards = v.APIs, v.Hazards, v.BlockingHazards
	}
	report.Settle(r, path, o.upgradeCommand())
	return r, nil
}

// upgradeCommand is the "kubectl skew upgrade" line with this plan's target flags.
func (o *PlanOptions) upgradeCommand() string {
	args := []string{"kubectl skew upgrade"}
	if o.rancher.Enabled() {
		args = append(args, "--rancher-cluster "+o.rancher.Ref())
	}
	if o.Target != nil {
		args = append(args, "--version "+o.Version)
	} else {
		args = append(args, "--channel "+o.Channel)
	}
	return strings.Join(append(args, o.SourceArgs()...), " ")
}
