// Package abort is "kubectl skew abort": stops an upgrade safely, Plans narrowed, then removed.
package abort

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
)

// AbortOptions holds "kubectl skew abort".
type AbortOptions struct {
	env       *cmdutil.Env
	Namespace string
	Yes       bool
	DryRun    bool
	Timeout   time.Duration
	rancher   cmdutil.RancherFlags
}

// NewCmdAbort builds "kubectl skew abort".
func NewCmdAbort(env *cmdutil.Env) *cobra.Command {
	o := &AbortOptions{env: env, Namespace: suc.DefaultNamespace, Timeout: upgrade.DefaultNodeTimeout}
	cmd := &cobra.Command{
		Use:   "abort",
		Short: "Stop an upgrade by kubectl skew safely: no node starts, nodes upgrading finish, our Plans go, our cordons are lifted",
		Long: `Abort stops the upgrade that "kubectl skew upgrade" started. First no node starts any
more: each of our Plans is narrowed to the nodes it is upgrading, and those finish (a
Job is never killed half way). Then our Plans are deleted, and the nodes they cordoned
are uncordoned, except nodes whose upgrade Job failed (named, and left cordoned) and
nodes that were cordoned before the run. Nothing that kubectl skew did not create is
touched.

Exit codes: 0 once nothing of ours is in progress, 1 error or not confirmed.`,
		Example: `  # What would abort do?
  kubectl skew abort --dry-run

  # Stop, without a question (scripts)
  kubectl skew abort --yes`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.Namespace, "suc-namespace", o.Namespace, "Namespace of the system-upgrade-controller and our Plans")
	f.BoolVarP(&o.Yes, "yes", "y", false, "Abort without asking (required when stdin is not a terminal)")
	f.BoolVar(&o.DryRun, "dry-run", false, "Say what abort would do, and do nothing")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "How long to wait for the nodes already upgrading to finish")
	o.rancher.AddFlags(cmd)
	return cmd
}

// Complete parses --rancher-cluster.
func (o *AbortOptions) Complete() error { return o.rancher.Complete() }

// Validate checks the flags before anything touches the cluster.
func (o *AbortOptions) Validate() error {
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive", o.Timeout)
	}
	return nil
}

// Run stops our upgrade and says what it did.
func (o *AbortOptions) Run(ctx context.Context) error {
	if o.rancher.Enabled() {
		return o.runImported(ctx)
	}
	c, err := o.env.Clients()
	if err != nil {
		return err
	}
	if c.Dynamic == nil {
		return fmt.Errorf("abort needs a dynamic client")
	}
	if err := cmdutil.RequireAccess(ctx, c, "abort", access.Options{SUCNamespace: o.Namespace, ReadOnly: o.DryRun}); err != nil {
		return err
	}
	w := o.env.Streams.Out
	if stopped, err := o.abortRun(ctx, c); stopped || err != nil {
		return err
	}
	cfg := upgrade.AbortConfig{Kube: c.Kube, Dynamic: c.Dynamic, Namespace: o.Namespace, Timeout: o.Timeout, DryRun: true}
	preview, err := upgrade.Abort(ctx, cfg)
	if err != nil {
		return cmdutil.APIError("read our upgrade", c.Server, cmdutil.UnwrapAPI(err))
	}
	if len(preview.Plans) == 0 {
		fmt.Fprintf(w, "Nothing to abort: no Plan of kubectl skew in namespace %s.\n", o.Namespace)
		return nil
	}
	writeAbort(w, preview, true)
	if o.DryRun {
		fmt.Fprintln(w, "\nDry run: nothing was changed.")
		return nil
	}
	if !o.Yes {
		if err := o.env.Confirm(ctx, fmt.Sprintf("Abort the upgrade in namespace %s?", o.Namespace), "pass --yes to abort, or --dry-run to see what abort would do"); err != nil {
			return err
		}
	}
	cfg.DryRun = false
	cfg.Emit = func(line string) { fmt.Fprintln(w, line) }
	res, err := upgrade.Abort(ctx, cfg)
	if err != nil {
		return fmt.Errorf("abort: %w", err)
	}
	fmt.Fprintln(w)
	writeAbort(w, res, false)
	return nil
}

func writeAbort(w interface{ Write([]byte) (int, error) }, r *upgrade.AbortResult, planned bool) {
	verb := map[bool][3]string{true: {"would wait for", "would delete", "would uncordon"}, false: {"waited for", "deleted", "uncordoned"}}[planned]
	if len(r.Finished) > 0 {
		fmt.Fprintf(w, "Nodes upgrading, which finish first (%s): %s\n", verb[0], strings.Join(r.Finished, ", "))
	}
	fmt.Fprintf(w, "Our Plans (%s): %s\n", verb[1], strings.Join(r.Plans, ", "))
	if len(r.Uncordoned) > 0 {
		fmt.Fprintf(w, "Nodes our Plans cordoned (%s): %s\n", verb[2], strings.Join(r.Uncordoned, ", "))
	}
	failed := make([]string, 0, len(r.Failed))
	for n, why := range r.Failed {
		failed = append(failed, fmt.Sprintf("%s (Job %s)", n, why))
	}
	sort.Strings(failed)
	if len(failed) > 0 {
		fmt.Fprintf(w, "Left cordoned, their upgrade Job failed: %s\n", strings.Join(failed, "; "))
	}
	if len(r.CordonedBefore) > 0 {
		fmt.Fprintf(w, "Left cordoned, cordoned before the upgrade: %s\n", strings.Join(r.CordonedBefore, ", "))
	}
	if !planned {
		fmt.Fprintln(w, "Aborted: nothing of ours is in progress. kubectl skew status and kubectl skew check show where the cluster stands.")
	}
}
