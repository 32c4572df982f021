package upgrade

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// drive applies the step and, with --wait, follows the upgrade to the target.
func (o *UpgradeOptions) drive(parent context.Context, cfg upgrade.Config, p *upgrade.Proposal) error {
	// --snapshot waits for its Job even without --wait: the timeout bounds that too.
	ctx, cancel := o.bounded(parent, o.cfg.Wait || o.cfg.Snapshot)
	defer cancel()
	w := o.env.Streams.Out
	began := time.Now()
	res, err := o.execute(ctx, cfg, p)
	resume := o.resumeCommand(p.Path.Target)
	if err != nil {
		return o.runError(parent, ctx, err, res, resume)
	}
	if !o.cfg.Wait {
		next := o.nextAfterApply(p.Path, res.Last)
		if len(res.Last.Waiting) > 0 {
			next = fmt.Sprintf("nothing was applied: the next node goes once %s is settled; follow it with %s --wait, or run it again later",
				upgrade.WaitingLine(res.Last.Waiting), o.resumeCommand(p.Path.Target))
		}
		fmt.Fprintf(w, "\nNEXT: %s\n", next)
		return nil
	}
	if c := res.Canary; c != nil {
		names := make([]string, 0, len(c.Hop.Agents))
		for _, a := range c.Hop.Agents {
			names = append(names, a.Name)
		}
		fmt.Fprintf(w, "\nCANARY: %s of %s (%s) run %s, are Ready and broke no skew rule: %s.\nNEXT: the other agents go with: %s --wait\n",
			cmdutil.Plural(len(names), "agent"), c.HopLabel(), c.Hop.To, c.Hop.To, strings.Join(names, ", "), o.resumeCommand(p.Path.Target))
		return nil
	}
	table.WriteUpgradeSummary(w, res, p.Path.Target, time.Since(began), o.cfg.Plans.Namespace)
	return nil
}

// bounded is parent, bounded by --timeout when the run waits (and one is given).
func (o *UpgradeOptions) bounded(parent context.Context, waits bool) (context.Context, context.CancelFunc) {
	if waits && o.Timeout > 0 {
		return context.WithTimeout(parent, o.Timeout)
	}
	return parent, func() {}
}

// execute runs the engine, printing its events as they come.
func (o *UpgradeOptions) execute(ctx context.Context, cfg upgrade.Config, p *upgrade.Proposal) (*upgrade.Outcome, error) {
	w := o.env.Streams.Out
	pp := table.NewProgress(w, cmdutil.IsTerminal(w), o.env.UseColor(w))
	cfg.Emit = pp.Event
	defer pp.Finish()
	return upgrade.Execute(ctx, cfg, p)
}

// runError explains why a run stopped, with how to go on. The Plans always stay:
// the controller goes on with them whether we watch or not.
func (o *UpgradeOptions) runError(parent, ctx context.Context, err error, res *upgrade.Outcome, resume string) error {
	if res == nil || res.Last == nil {
		if parent.Err() != nil {
			return fmt.Errorf("interrupted before anything was applied: %w", err)
		}
		return fmt.Errorf("%w; no upgrade Plan was applied by this run; after fixing the cause run the command again", err)
	}
	where := fmt.Sprintf("%s (%s) %s", res.Last.HopLabel(), res.Last.Hop.To, res.Last.Phase)
	var jf *upgrade.JobFailedError
	var nb *upgrade.NotBackError
	switch {
	case errors.Is(err, upgrade.ErrAborted):
		return fmt.Errorf("stopped at %s: %w; nothing further was applied by this run", where, err)
	case errors.As(err, &nb):
		return fmt.Errorf("stopped at %s: %w; the Plans stay as they are; find out why on the node (journalctl -u k3s or rke2-server), then resume with %s --wait", where, err, resume)
	case parent.Err() != nil:
		return fmt.Errorf("interrupted while following %s: stopped waiting, nothing was undone; the Plans stay and the system-upgrade-controller goes on with them; see where it stands with kubectl skew status, follow it again with %s --wait", where, resume)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("timed out after %s while following %s: the Plans stay and the system-upgrade-controller goes on with them; see where it stands with kubectl skew status, follow it again with %s --wait", o.Timeout, where, resume)
	case errors.As(err, &jf) && jf.Blocker != "":
		return fmt.Errorf("stopped at %s: the upgrade Job %s failed on node %s: its drain was blocked: %s; the node stays cordoned and no further node was started by us; fix it, then resume with %s --retry-failed --wait",
			where, jf.Job, jf.Node, jf.Blocker, resume)
	case errors.As(err, &jf):
		return fmt.Errorf("stopped at %s: the upgrade Job %s failed on node %s: %s; the node stays cordoned and no further node was started by us; fix the cause on %s, then resume with %s --retry-failed --wait; if the hop cannot be finished, kubectl skew status shows how to roll back",
			where, jf.Job, jf.Node, jf.Message, jf.Node, resume)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("stopped at %s: %w; ask a cluster admin for that permission, then resume with %s", where, err, resume)
	}
	return fmt.Errorf("stopped at %s: %w; the Plans stay; after fixing the cause resume with %s", where, err, resume)
}

// printPlans prints the step's Plans (built here, or as the apiserver would store
// them with --dry-run=server) and applies nothing.
func (o *UpgradeOptions) printPlans(ctx context.Context, r *report.UpgradeReport, plans *suc.Client, p *upgrade.Proposal, cfg upgrade.Config) error {
	if err := table.WriteUpgrade(o.env.Streams.ErrOut, r, o.env.UseColor(o.env.Streams.ErrOut)); err != nil {
		return err
	}
	step := p.Step
	// Every Plan of the hop, so that a commit of them lets the controller finish it.
	out := p.Export(cfg)
	if o.DryRun == dryRunServer {
		got, err := plans.Apply(ctx, out, suc.ApplyOptions{DryRun: true})
		if err != nil {
			return fmt.Errorf("server dry run: %w", err)
		}
		out = make([]*upgradev1.Plan, len(got))
		for i := range got {
			out[i] = got[i].Plan
		}
	}
	l, err := suc.PlanList(out)
	if err != nil {
		return err
	}
	if err := o.printPlanList(l); err != nil {
		return err
	}
	note := "nothing was applied"
	if o.DryRun == dryRunServer {
		note = "the apiserver validated them (dry run); nothing was applied"
	}
	fmt.Fprintf(o.env.Streams.ErrOut, "%s of %s (%s) printed, annotated %s: %s.\n", cmdutil.Plural(len(out), "Plan"), step.HopLabel(), step.Hop.To, suc.AnnotationHop, note)
	fmt.Fprintf(o.env.Streams.ErrOut, "Committed together they let the controller finish this hop without kubectl skew; it then starts each server as soon as the one before finished its Job, without waiting for it to come back (--post-complete-delay adds a pause). Export the next hop once this one is complete: run the same command again.\n")
	return nil
}

// printPlanList prints Plans with the -o printer; a dry run without -o prints YAML.
func (o *UpgradeOptions) printPlanList(l *unstructured.UnstructuredList) error {
	if o.out.Structured() {
		return o.out.Print(o.env.Streams.Out, l)
	}
	if err := (&printers.YAMLPrinter{}).PrintObj(l, o.env.Streams.Out); err != nil {
		return fmt.Errorf("print plans: %w", err)
	}
	return nil
}

// confirm asks on a terminal; without one it refuses rather than hang.
func (o *UpgradeOptions) confirm(ctx context.Context, step *upgrade.Step) error {
	what := cmdutil.Plural(len(step.Plans), "Plan")
	if n := len(step.Prune); n > 0 {
		what += fmt.Sprintf(" and delete %s of ours", cmdutil.Plural(n, "superseded Plan"))
	}
	return o.env.Confirm(ctx, fmt.Sprintf("Apply %s to namespace %s?", what, o.cfg.Plans.Namespace), "pass --yes to apply, or --dry-run to see the Plans only")
}

// watchClients are clients for long watches: the same identity with no request
// timeout (--request-timeout would end every watch after 30s). A client that cannot
// be built leaves the shared one in its place.
func watchClients(c *cmdutil.Clients) (kubernetes.Interface, dynamic.Interface) {
	w, err := c.Derived(cmdutil.NoTimeout)
	if err != nil {
		return c.Kube, c.Dynamic
	}
	return w.Kube, w.Dynamic
}

func (o *UpgradeOptions) upToDate(path *upgradepath.Path) error {
	if o.out.Structured() {
		l, err := suc.PlanList(nil)
		if err != nil {
			return err
		}
		return o.printPlanList(l)
	}
	w := o.env.Streams.Out
	if o.printsPlans() {
		w = o.env.Streams.ErrOut
	}
	fmt.Fprintf(w, "Nothing to do: every node runs %s (%s). No Plan was applied.\n", path.Target, path.TargetSource)
	return nil
}

func (o *UpgradeOptions) describeStep(r *report.UpgradeReport, path *upgradepath.Path, step *upgrade.Step) {
	s := &r.Summary
	s.Hop, s.Hops, s.Phase, s.Resumed = step.Index, step.Total, string(step.Phase), step.Resumed
	r.Pruned = step.Prune
	for _, p := range step.Plans {
		r.Plans = append(r.Plans, report.UpgradePlan{
			Name: p.Name, Role: p.Labels[suc.LabelRole], Version: p.Spec.Version,
			Nodes: len(suc.SelectedHostnames(p)), Concurrency: p.Spec.Concurrency,
			Strategy: table.PlanStrategy(p), Image: p.Spec.Upgrade.Image,
		})
	}
	s.Next = o.nextAfterApply(path, step)
	if len(step.Waiting) > 0 {
		s.Waiting = upgrade.WaitingLine(step.Waiting)
		s.Next = fmt.Sprintf("nothing more is released until then; run %s --wait to follow it, or run it again later", o.resumeCommand(path.Target))
	}
}

// needsConfirmation is false when the step writes nothing (a resumed, unchanged step).
func (o *UpgradeOptions) needsConfirmation(r *report.UpgradeReport, step *upgrade.Step) bool {
	if o.Yes || (len(step.Waiting) > 0 && !o.cfg.Wait) {
		return false // a waiting step without --wait applies nothing
	}
	if len(step.Prune) > 0 || o.cfg.RetryFailed || o.cfg.Snapshot {
		return true
	}
	for _, p := range r.Plans {
		if p.Action != previewVerb[suc.Unchanged] {
			return true
		}
	}
	return false
}

// previewVerb says what applying will do, before it is done.
var previewVerb = map[suc.Action]string{
	suc.Created: "create", suc.Configured: "update", suc.Unchanged: "unchanged",
}
