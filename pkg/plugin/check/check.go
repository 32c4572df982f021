// Package check is "kubectl skew check": the skew findings of one cluster or of every context (the fleet view).
package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// CheckOptions holds "kubectl skew check".
type CheckOptions struct {
	env *cmdutil.Env
	out *cmdutil.OutputFlags

	Target string
	FailOn string

	// cfg is the judging's settings: --target parsed, and the removed-API and hazard
	// flags bound into it.
	cfg     judge.Config
	fleet   fleetFlags
	apis    cmdutil.APIFlags
	rancher cmdutil.RancherFlags
	hazards cmdutil.HazardFlags

	failOn  policy.Severity
	changed func(flag string) bool
}

// NewCmdCheck builds "kubectl skew check".
func NewCmdCheck(env *cmdutil.Env) *cobra.Command {
	o := &CheckOptions{env: env, FailOn: string(policy.Error), out: cmdutil.NewOutputFlags(false, cmdutil.FormatWide)}
	o.apis.APIs, o.hazards.Hazards = &o.cfg.APIs, &o.cfg.Hazards
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check every node and control-plane component against the version skew policy",
		Long: `Check reads every node's kubelet and kube-proxy version and the control plane's
component versions, and reports each broken rule of the Kubernetes version skew
policy with a stable ID, a severity and the fix.

With --target (or -f), check also scans for APIs that the target, or a minor on the
way, removes: the manifests of deployed Helm releases (and their charts'
kubeVersion), the last-applied configuration of live objects, the apiserver's
/metrics, and -f manifests.

Exit codes: 0 clean, 1 error (cluster unreachable, bad flags), 3 findings at or
above --fail-on.`,
		Example: `  # Check the current context
  kubectl skew check

  # In CI: fail on warnings too, machine-readable output
  kubectl skew check --fail-on=warning -o json

  # What stands between the cluster and a v1.33 control plane?
  kubectl skew check --target v1.33

  # Also check manifests for APIs the target removes
  kubectl skew check --target v1.33 -f deploy/

  # A cluster Rancher provisioned, from the Rancher management cluster's context
  kubectl skew check --rancher-cluster fleet-default/prod-east --target v1.33

  # The fleet: every context of the kubeconfig, with each cluster's next step on stable
  kubectl skew check --all-contexts --channel stable
  kubectl skew check --contexts 'prod-*,staging'`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	cmd.Flags().StringVar(&o.Target, "target", "", "Also check what stands between the cluster and a control plane at this version (vX.Y or vX.Y.Z)")
	cmd.Flags().StringVar(&o.FailOn, "fail-on", o.FailOn, "Exit 3 when a finding is at or above this severity: error|warning|info|none")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cmdutil.FixedCompletion("error", "warning", "info", "none"))
	o.out.AddFlags(cmd)
	o.fleet.AddFlags(cmd)
	o.apis.AddFlags(cmd)
	o.rancher.AddFlags(cmd)
	o.hazards.AddFlags(cmd, false)
	o.changed = cmd.Flags().Changed
	return cmd
}

// Complete parses the flags.
func (o *CheckOptions) Complete() error {
	if o.Target != "" {
		t, err := version.ParseTarget(o.Target)
		if err != nil {
			return fmt.Errorf("--target: %w; use a version such as v1.33 or v1.33.5+k3s1", err)
		}
		o.cfg.Target = &t
	}
	o.failOn = policy.Severity(strings.ToLower(o.FailOn))
	if err := o.rancher.Complete(); err != nil {
		return err
	}
	return o.apis.Complete(o.env.Streams.In)
}

// Validate checks the flags before anything touches the cluster.
func (o *CheckOptions) Validate() error {
	if _, ok := policy.ParseSeverity(string(o.failOn)); !ok && o.failOn != "none" {
		return fmt.Errorf("--fail-on %q: use error, warning, info or none", o.FailOn)
	}
	if err := o.fleet.Validate(o.changed); err != nil {
		return err
	}
	if o.changed("release-data") && o.cfg.Target == nil {
		// Without a target nothing reads the data: a bad file would pass unnoticed.
		return fmt.Errorf("--release-data is read only to judge a target: add --target, or leave the flag out")
	}
	if o.rancher.Enabled() && o.fleet.enabled() {
		return fmt.Errorf("--rancher-cluster checks one cluster from Rancher's objects: it cannot be combined with --all-contexts or --contexts")
	}
	if err := o.rancher.WithoutFiles(o.apis.Files); err != nil {
		return err
	}
	return o.out.Validate()
}

// Run reads the cluster, applies the policy and prints the report.
func (o *CheckOptions) Run(ctx context.Context) error {
	if o.cfg.Target != nil && o.cfg.Hazards.Enabled {
		if err := o.hazards.LoadReleases(ctx); err != nil {
			return err
		}
	}
	if o.fleet.enabled() {
		return o.runFleet(ctx)
	}
	if o.rancher.Enabled() {
		return o.runRancher(ctx)
	}
	r, err := o.check(ctx)
	if err != nil {
		return err
	}
	if err := o.print(r); err != nil {
		return err
	}
	if r.Summary.Failed {
		return &cmdutil.FindingsError{Count: policy.Count(r.Findings, o.failOn)}
	}
	return nil
}

// check builds the report of the current context.
func (o *CheckOptions) check(ctx context.Context) (*report.CheckReport, error) {
	c, err := o.env.Clients()
	if err != nil {
		return nil, err
	}
	if err := cmdutil.RequireAccess(ctx, c, "check", access.Options{}); err != nil {
		return nil, err
	}
	kubectl := o.startKubectlVersion(ctx)
	return o.checkWith(ctx, c, kubectl)
}

// kubectlInfo is the user's kubectl version, read once per run (a fleet shares it).
type kubectlInfo struct{ version, source, skipped string }

// startKubectlVersion asks for the kubectl version in the background, so the exec
// overlaps the API reads; the returned func waits for it.
func (o *CheckOptions) startKubectlVersion(ctx context.Context) func() kubectlInfo {
	if o.env.KubectlVersion == nil {
		return func() kubectlInfo { return kubectlInfo{} }
	}
	var (
		wg sync.WaitGroup
		k  kubectlInfo
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		k.version, k.source, k.skipped = o.env.KubectlVersion(ctx)
	}()
	return func() kubectlInfo { wg.Wait(); return k }
}

// checkWith reads one cluster through c and evaluates the policy.
func (o *CheckOptions) checkWith(ctx context.Context, c *cmdutil.Clients, kubectl func() kubectlInfo) (*report.CheckReport, error) {
	obj, err := cluster.ReadObjects(ctx, c.Kube)
	k := kubectl()
	if err != nil {
		var re *cluster.ReadError
		if errors.As(err, &re) {
			return nil, cmdutil.APIError(re.What, c.Server, re.Err)
		}
		return nil, err
	}
	inv := cluster.Build(obj)
	inv.ClientVersion, inv.ClientSource = k.version, k.source
	if k.skipped != "" {
		inv.Skipped = append(inv.Skipped, cluster.Skipped{What: "kubectl version", Reason: k.skipped})
	}
	// The hop hazards read their few lists while the removed-API scan reads its own.
	hops := judge.TargetHops(inv, o.cfg)
	// The source's clients are built only for hops that read something: a plain check
	// (most of a fleet's) would build a second set of clients for nothing.
	var src judge.Source
	if len(hops.Hazards) > 0 || hops.Scan {
		src = cmdutil.JudgeSource(c, &o.apis)
	}
	facts, err := judge.Read(ctx, src, obj.Nodes, hops)
	if err != nil {
		return nil, err
	}
	j := judge.Judge(hops, facts, o.cfg.Hazards.Accepted)
	inv.Skipped = append(inv.Skipped, j.Skipped...)
	findings := append(judge.Skew(inv, o.cfg.Target), j.Findings()...)
	policy.Sort(findings)
	r := report.Check(inv, findings, o.failOn, o.Target)
	r.APIs, r.Hazards = j.APIScan, j.Hazards
	return r, nil
}
