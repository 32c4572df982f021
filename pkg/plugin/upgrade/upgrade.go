// Package upgrade is "kubectl skew upgrade": the path driven through the system-upgrade-controller or Rancher.
package upgrade

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// Dry-run modes, as kubectl spells them.
const (
	dryRunNone   = "none"
	dryRunClient = "client"
	dryRunServer = "server"
)

// UpgradeOptions holds "kubectl skew upgrade". Its flags bind straight into the
// engine's Config (cfg) and the Plans' settings in it; what remains here is the
// command's own: confirmation, dry run, the raw window and selector before parsing.
type UpgradeOptions struct {
	env *cmdutil.Env
	out *cmdutil.OutputFlags
	cmdutil.TargetFlags
	apis    cmdutil.APIFlags
	rancher cmdutil.RancherFlags
	hazards cmdutil.HazardFlags
	cfg     upgrade.Config

	WindowDays                         []string
	WindowStart, WindowEnd, WindowZone string
	NodeSelector                       string
	Yes                                bool
	DryRun                             string
	Timeout                            time.Duration
	imported                           importedFlags
	command                            commandFlags

	changed func(flag string) bool
}

// NewCmdUpgrade builds "kubectl skew upgrade".
func NewCmdUpgrade(env *cmdutil.Env) *cobra.Command {
	o := &UpgradeOptions{env: env, out: cmdutil.NewOutputFlags(true), DryRun: dryRunNone,
		cfg: upgrade.Config{Plans: suc.DefaultPlanConfig(), Deployment: suc.DefaultDeployment, SnapshotMaxAge: etcdsnapshot.DefaultMaxAge, Now: time.Now}}
	c, pc := &o.cfg, &o.cfg.Plans
	cmd := &cobra.Command{
		Use:   "upgrade",
		Short: "Upgrade K3s or RKE2 through the system-upgrade-controller: one minor per hop, servers before agents",
		Long: `Upgrade turns the path that "kubectl skew plan" shows into system-upgrade-controller
Plans and applies them: per hop a server Plan (one server at a time, cordoned) and,
once every server runs the hop's version, an agent Plan (drained on a minor hop,
cordoned on a patch). Each Plan pins one exact version, never a channel.

Before it writes, upgrade runs preflight checks (distribution, controller installed,
permissions, Rancher, other Plans, skew, etcd snapshot, deprecated APIs, node
health), shows the path and the Plans, and asks for confirmation on a terminal.
A failed check writes nothing.

Without --wait it applies the current step and says what comes next; run it again
to go on: it resumes from where the cluster is and never duplicates a Plan. With
--wait it follows every node through watches, verifies each hop, and goes on to the
target. --dry-run and -o yaml print the Plans without applying them.

Exit codes: 0 done (or nothing to do), 1 error or refused, 3 refused because of skew findings.`,
		Example: `  # See the checks and the Plans of the first step, change nothing
  kubectl skew upgrade --channel stable --dry-run=client

  # Upgrade to the stable channel and follow it to the end, with a fresh etcd snapshot
  kubectl skew upgrade --channel stable --snapshot --wait

  # GitOps: the exact Plans of the current step, as YAML
  kubectl skew upgrade --version v1.33.5+k3s1 -o yaml > plans.yaml

  # After fixing a node whose upgrade Job failed
  kubectl skew upgrade --version v1.33.5+k3s1 --retry-failed --wait`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	f := cmd.Flags()
	o.TargetFlags.AddFlags(cmd)
	o.apis.AddFlags(cmd)
	o.rancher.AddFlags(cmd)
	o.changed = cmd.Flags().Changed
	f.StringVar(&pc.Namespace, "suc-namespace", pc.Namespace, "Namespace of the system-upgrade-controller; Plans are created there")
	f.StringVar(&pc.ServiceAccount, "service-account", pc.ServiceAccount, "Service account the upgrade Jobs run as")
	f.StringVar(&c.Deployment, "suc-deployment", c.Deployment, "Name of the system-upgrade-controller Deployment (preflight checks it is available)")
	f.Int64Var(&pc.ServerConcurrency, "server-concurrency", pc.ServerConcurrency, "Servers upgraded at once (etcd quorum: keep 1 unless you know better)")
	f.Int64Var(&pc.AgentConcurrency, "agent-concurrency", pc.AgentConcurrency, "Agents upgraded at once")
	f.DurationVar(&pc.Drain.Timeout, "drain-timeout", pc.Drain.Timeout, "Give up draining an agent after this long: the Job fails, the node stays cordoned, the upgrade stops (an eviction a PodDisruptionBudget forbids is retried until then)")
	f.Int32Var(&pc.Drain.GracePeriod, "drain-grace-period", pc.Drain.GracePeriod, "Seconds each pod gets to stop when drained, instead of its own terminationGracePeriodSeconds (-1 keeps theirs)")
	f.BoolVar(&pc.Drain.Force, "drain-force", false, "Also delete pods that no controller manages when draining (they are lost for good)")
	f.StringVar(&pc.Drain.PodSelector, "drain-pod-selector", "", "Drain only the pods this label selector selects (kubectl drain --pod-selector)")
	f.BoolVar(&pc.Drain.DisableEviction, "drain-disable-eviction", false, "Delete pods instead of evicting them: bypasses PodDisruptionBudgets")
	f.IntVar(&pc.Drain.SkipWaitForDeleteTimeout, "drain-skip-wait-for-delete-timeout", 0, "Stop waiting for pods whose deletion began more than this many seconds ago (0 waits for all); it does not concern PodDisruptionBudgets")
	f.StringArrayVar(&pc.ImagePullSecrets, "image-pull-secret", nil, "Secret in the controller's namespace to pull the upgrade image with (repeatable; type kubernetes.io/dockerconfigjson)")
	f.StringSliceVar(&o.WindowDays, "window-days", nil, "Maintenance window: the days the controller may start upgrades (mon,tue,... or monday,...); with --window-start and --window-end")
	f.StringVar(&o.WindowStart, "window-start", "", "Maintenance window: when it opens each day, HH:MM")
	f.StringVar(&o.WindowEnd, "window-end", "", "Maintenance window: when it closes each day, HH:MM (a node in progress finishes)")
	f.StringVar(&o.WindowZone, "window-timezone", "", "Maintenance window: the IANA time zone of its times (default UTC)")
	f.StringVar(&o.NodeSelector, "node-selector", "", "Upgrade only the agents this label selector selects; the others must stay within skew at every hop (nodes labelled kubectl-skew.io/exclude=true never move)")
	f.IntVar(&pc.Canary, "canary", 0, "In each hop's agent phase, upgrade this many agents first, verify them and stop, printing the command that goes on")
	f.DurationVar(&c.NodeTimeout, "node-timeout", upgrade.DefaultNodeTimeout, "With --wait, stop when a server is not back this long after its upgrade Job ended (Ready, new kubelet, static pods), or the control plane not on the hop's version")
	f.DurationVar(&pc.PostCompleteDelay, "post-complete-delay", 0, "The controller's own pause after each node's upgrade, before the next (SUC's postCompleteDelay)")
	f.StringVar(&pc.ImageRepository, "upgrade-image", "", "Upgrade image repository, for mirrors (default rancher/k3s-upgrade or rancher/rke2-upgrade); the tag is always the hop's version")
	f.BoolVarP(&o.Yes, "yes", "y", false, "Apply without asking for confirmation (required when stdin is not a terminal)")
	f.StringVar(&o.DryRun, "dry-run", o.DryRun, "Print the Plans without applying them: client (built here) or server (validated and defaulted by the apiserver)")
	f.Lookup("dry-run").NoOptDefVal = dryRunClient
	f.BoolVar(&c.Wait, "wait", false, "Follow the upgrade to the target: node by node, hop after hop")
	f.DurationVar(&o.Timeout, "timeout", 0, "With --wait (or --snapshot), stop waiting after this long (the Plans stay; 0 waits as long as it takes); with --rancher-cluster, stop when Rancher makes no progress for this long (0 means 30m)")
	f.BoolVar(&c.Snapshot, "snapshot", false, "Take an etcd snapshot on the first server before its upgrade, through a system-upgrade-controller Job (with --rancher-cluster: on by default, through Rancher, before each hop)")
	f.DurationVar(&c.SnapshotMaxAge, "snapshot-max-age", c.SnapshotMaxAge, "Warn when the newest etcd snapshot is older than this")
	f.BoolVar(&c.AllowRancher, "allow-rancher", false, "Go on although Rancher seems to manage the cluster (its upgrades would fight ours)")
	f.BoolVar(&c.Force, "force", false, "Go on despite skew errors now, at a hop's target, or after a hop")
	f.BoolVar(&c.Strict, "strict", false, "Fail, not warn, when a Helm release, an applied object, a client (/metrics) or a -f manifest uses an API a hop removes, or a non-blocking hop hazard applies")
	o.hazards.AddFlags(cmd, true)
	f.BoolVar(&c.RetryFailed, "retry-failed", false, "Delete the failed Jobs of our Plans so the controller runs them again (after you fixed the cause)")
	o.imported.AddFlags(cmd)
	o.command.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("dry-run", cmdutil.FixedCompletion(dryRunNone, dryRunClient, dryRunServer))
	o.out.AddFlags(cmd)
	return cmd
}

// Complete parses the flags; with neither --channel nor --version the target is stable.
func (o *UpgradeOptions) Complete() error {
	if err := o.TargetFlags.Complete(); err != nil {
		return err
	}
	if err := o.apis.Complete(o.env.Streams.In); err != nil {
		return err
	}
	if err := o.rancher.Complete(); err != nil {
		return err
	}
	o.DryRun = strings.ToLower(strings.TrimSpace(o.DryRun))
	o.cfg.Plans.Drain.PodSelector = strings.TrimSpace(o.cfg.Plans.Drain.PodSelector)
	o.cfg.Plans.ImageRepository = strings.TrimSpace(o.cfg.Plans.ImageRepository)
	window, err := suc.ParseWindow(o.WindowDays, strings.TrimSpace(o.WindowStart), strings.TrimSpace(o.WindowEnd), strings.TrimSpace(o.WindowZone))
	if err != nil {
		return err
	}
	o.cfg.Plans.Window = window
	if o.NodeSelector != "" {
		sel, err := labels.Parse(o.NodeSelector)
		if err != nil {
			return fmt.Errorf("--node-selector %q: %w; use a label selector such as pool=blue,zone!=b", o.NodeSelector, err)
		}
		o.cfg.NodeSelector = sel
	}
	return nil
}

// Validate checks the flags before anything touches the cluster.
func (o *UpgradeOptions) Validate() error {
	if err := o.TargetFlags.Validate(); err != nil {
		return err
	}
	if err := errors.Join(o.out.Validate(), o.hazards.Validate()); err != nil {
		return err
	}
	if err := o.rancher.WithoutFiles(o.apis.Files); err != nil {
		return err
	}
	if err := o.imported.Validate(o.changed, o.rancher.Enabled()); err != nil {
		return err
	}
	if err := o.validateDriver(); err != nil {
		return err
	}
	switch o.DryRun {
	case dryRunNone, dryRunClient, dryRunServer:
	default:
		return fmt.Errorf("--dry-run %q: use client or server", o.DryRun)
	}
	if err := o.cfg.Plans.Validate(); err != nil {
		return err
	}
	if img := o.cfg.Plans.ImageRepository; strings.Contains(img, ":") && !strings.Contains(img[strings.LastIndex(img, ":"):], "/") {
		return fmt.Errorf("--upgrade-image %q: give the repository without a tag; the tag is always the hop's version", img)
	}
	if o.cfg.NodeTimeout <= 0 {
		return fmt.Errorf("--node-timeout %s: must be positive", o.cfg.NodeTimeout)
	}
	if o.Timeout < 0 {
		return fmt.Errorf("--timeout %s: must not be negative", o.Timeout)
	}
	if o.cfg.Wait && o.printsPlans() {
		return fmt.Errorf("--wait follows an upgrade that is applied; --dry-run and -o print the Plans and apply nothing")
	}
	if o.cfg.Snapshot && o.printsPlans() {
		return fmt.Errorf("--snapshot takes a snapshot through a Job, which --dry-run and -o never create; drop one of them")
	}
	return nil
}

// printsPlans is true when the command only prints the Plans.
func (o *UpgradeOptions) printsPlans() bool { return o.DryRun != dryRunNone || o.out.Structured() }

// config is the engine's Config for this run against the clients c: the flags'
// settings, the target, the release data, and clients for the long watches.
func (o *UpgradeOptions) config(c *cmdutil.Clients) upgrade.Config {
	cfg := o.cfg
	cfg.Kube, cfg.Dynamic, cfg.Discovery = c.Kube, c.Dynamic, c.Discovery
	cfg.WatchKube, cfg.WatchDynamic = watchClients(c)
	cfg.ScanAPIs = o.apis.Scanner(c)
	cfg.Channel, cfg.Version, cfg.Agents, cfg.Channels, cfg.FetchChannels = o.Channel, o.Target, o.AgentMode, &o.Source, o.Source.Explicit()
	cfg.AcceptHazards, cfg.NoHazards, cfg.Releases = o.hazards.Accepted, !o.hazards.Enabled, o.hazards.Releases
	return cfg
}

// Run prepares the run (read, plan, check), shows it, confirms, applies, and with
// --wait follows.
func (o *UpgradeOptions) Run(ctx context.Context) error {
	if err := o.hazards.LoadReleases(ctx); err != nil {
		return err
	}
	if o.rancher.Enabled() {
		return o.runRancher(ctx)
	}
	c, err := o.env.Clients()
	if err != nil {
		return err
	}
	if c.Dynamic == nil {
		return fmt.Errorf("upgrade needs a dynamic client")
	}
	cfg := o.config(c)
	byCommand := o.command.Driver != driverSUC
	if err := cmdutil.RequireAccess(ctx, c, o.accessSet(byCommand), o.accessOptions(byCommand)); err != nil {
		return err
	}
	if byCommand {
		if cfg.Driver, err = o.commandDriver(); err != nil {
			return err
		}
		cfg.Wait = true // the operator's tool moves nodes only while we run
	}
	p, err := upgrade.Prepare(ctx, cfg)
	var re *cluster.ReadError
	if errors.As(err, &re) {
		return cmdutil.APIError(re.What, c.Server, re.Err)
	}
	if err != nil {
		return err
	}
	for _, s := range p.Cluster.Inventory.Skipped {
		fmt.Fprintf(o.env.Streams.ErrOut, "warning: skipped %s: %s\n", s.What, s.Reason)
	}
	r := report.NewUpgradeReport()
	r.Summary.Namespace, r.Summary.Distro = o.cfg.Plans.Namespace, string(p.Cluster.Inventory.Distro)
	if o.DryRun != dryRunNone {
		r.Summary.DryRun = o.DryRun
	}
	if p.Path != nil {
		r.Summary.Target = p.Path.Target.String()
		r.Path = report.Plan(p.Path, o.resumeCommand(p.Path.Target), install.RunsNixOS(p.Cluster.Inventory))
		if p.UpToDate() {
			if o.DryRun == dryRunNone {
				// What an earlier, stopped run of ours left (a cordon, its record) ends here.
				if _, err := upgrade.Execute(ctx, cfg, p); err != nil {
					return err
				}
			}
			return o.upToDate(p.Path)
		}
	}
	for _, ch := range p.Preflight.Checks {
		r.Preflight = append(r.Preflight, report.PreflightCheck{Name: ch.Name, Result: string(ch.Result), Message: ch.Message, Fix: ch.Fix})
	}
	if p.Step != nil {
		o.describeStep(r, p.Path, p.Step)
		for i, a := range p.Preview {
			r.Plans[i].Action = previewVerb[a.Action]
		}
	}

	human := o.env.Streams.Out
	if o.printsPlans() && !byCommand {
		// Stdout carries only the Plans, for `> plans.yaml`; the story goes to stderr.
		human = o.env.Streams.ErrOut
	}
	var refused *upgrade.Refusal
	if err := p.Refusal(); errors.As(err, &refused) && refused.ID != upgrade.RefusedPreflight {
		return fmt.Errorf("%w; nothing was changed", refused)
	} else if refused != nil {
		r.Summary.Refused = true
		if err := table.WriteUpgrade(human, r, o.env.UseColor(human)); err != nil {
			return err
		}
		if refused.BySkew {
			fmt.Fprintln(o.env.Streams.ErrOut, "error: preflight refused the upgrade because of skew findings: nothing was changed")
			return &cmdutil.FindingsError{Count: 1}
		}
		return fmt.Errorf("%w; see the checks above", refused)
	} else if err != nil {
		return err
	}
	if o.printsPlans() && !byCommand {
		return o.printPlans(ctx, r, &suc.Client{Dynamic: c.Dynamic, Namespace: o.cfg.Plans.Namespace}, p, cfg)
	}
	if err := table.WriteUpgrade(human, r, o.env.UseColor(human)); err != nil {
		return err
	}
	if byCommand {
		if o.DryRun != dryRunNone {
			fmt.Fprintln(human, "Dry run: nothing was changed.")
			return nil
		}
		if !o.Yes {
			if err := o.confirmCommand(ctx, p); err != nil {
				return err
			}
		}
		return o.driveCommand(ctx, cfg, p)
	}
	if o.needsConfirmation(r, p.Step) {
		if err := o.confirm(ctx, p.Step); err != nil {
			return err
		}
	}
	return o.drive(ctx, cfg, p)
}
