package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// CheckOptions holds "kubectl skew check".
type CheckOptions struct {
	env *Env
	out *outputFlags

	Target string
	FailOn string

	target  *version.Target
	failOn  policy.Severity
	clients *Clients
}

// NewCmdCheck builds "kubectl skew check".
func NewCmdCheck(env *Env) *cobra.Command {
	o := &CheckOptions{env: env, FailOn: string(policy.Error), out: newOutputFlags(formatWide, formatJSON, formatYAML)}
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check every node and control-plane component against the version skew policy",
		Long: `Check reads every node's kubelet and kube-proxy version and the control plane's
component versions, and reports each broken rule of the Kubernetes version skew
policy with a stable ID, a severity and the fix.

Exit codes: 0 clean, 1 error (cluster unreachable, bad flags), 3 findings at or
above --fail-on.`,
		Example: `  # Check the current context
  kubectl skew check

  # In CI: fail on warnings too, machine-readable output
  kubectl skew check --fail-on=warning -o json

  # What stands between the cluster and a v1.33 control plane?
  kubectl skew check --target v1.33`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Target, "target", "", "Also check what stands between the cluster and a control plane at this version (vX.Y or vX.Y.Z)")
	cmd.Flags().StringVar(&o.FailOn, "fail-on", o.FailOn, "Exit 3 when a finding is at or above this severity: error|warning|info|none")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", fixedCompletion("error", "warning", "info", "none"))
	o.out.AddFlags(cmd)
	return cmd
}

// Complete parses the flags.
func (o *CheckOptions) Complete() error {
	if o.Target != "" {
		t, err := version.ParseTarget(o.Target)
		if err != nil {
			return fmt.Errorf("--target: %w; use a version such as v1.33 or v1.33.5+k3s1", err)
		}
		o.target = &t
	}
	o.failOn = policy.Severity(strings.ToLower(o.FailOn))
	return nil
}

// Validate checks the flags before anything touches the cluster.
func (o *CheckOptions) Validate() error {
	if _, ok := policy.ParseSeverity(string(o.failOn)); !ok && o.failOn != "none" {
		return fmt.Errorf("--fail-on %q: use error, warning, info or none", o.FailOn)
	}
	return o.out.Validate()
}

// Run reads the cluster, applies the policy and prints the report.
func (o *CheckOptions) Run(ctx context.Context) error {
	r, err := o.check(ctx)
	if err != nil {
		return err
	}
	if err := o.print(r); err != nil {
		return err
	}
	if r.Summary.Failed {
		return &findingsError{count: policy.Count(r.Findings, o.failOn)}
	}
	return nil
}

// check builds the report of one cluster; the fleet view calls it per context.
func (o *CheckOptions) check(ctx context.Context) (*report.CheckReport, error) {
	c, err := o.env.Clients()
	if err != nil {
		return nil, err
	}
	var (
		wg                     sync.WaitGroup
		kver, ksource, kreason string
	)
	if o.env.KubectlVersion != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kver, ksource, kreason = o.env.KubectlVersion(ctx)
		}()
	}
	inv, err := cluster.Read(ctx, c.Kube)
	wg.Wait()
	if err != nil {
		var re *cluster.ReadError
		if errors.As(err, &re) {
			return nil, apiError(re.What, c.Server, re.Err)
		}
		return nil, err
	}
	inv.ClientVersion, inv.ClientSource = kver, ksource
	if kreason != "" {
		inv.Skipped = append(inv.Skipped, cluster.Skipped{What: "kubectl version", Reason: kreason})
	}
	findings := policy.Evaluate(inv, policy.Options{Target: o.target})
	return report.Check(inv, findings, o.failOn, o.Target), nil
}

func fixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
