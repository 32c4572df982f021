package upgrade

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade/viacommand"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// The drivers --driver names.
const (
	driverSUC     = "suc"
	driverCommand = string(viacommand.Command)
	driverManual  = string(viacommand.Manual)
)

// commandFlags are upgrade's flags for the operator's own tool.
type commandFlags struct {
	Driver      string
	Command     string
	Drain       bool
	Concurrency int
	LogDir      string
}

func (f *commandFlags) AddFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.Driver, "driver", driverSUC, "How nodes move: suc (system-upgrade-controller Plans), command (--command runs for each node in turn) or manual (you upgrade each node it names; it waits for it)")
	fs.StringVar(&f.Command, "command", "", "With --driver command: the command that upgrades one node, run with /bin/sh -c on this machine; the node's facts come only as SKEW_* variables (docs/recipes.md)")
	fs.BoolVar(&f.Drain, "drain", true, "With --driver command or manual: drain each node after cordoning it (the --drain-* settings apply); --drain=false only cordons")
	fs.IntVar(&f.Concurrency, "concurrency", 1, "With --driver command or manual: agents upgraded at once (servers always go one at a time)")
	fs.StringVar(&f.LogDir, "log-dir", "", "With --driver command or manual: where each node's log goes (default: a directory of this run under the user cache directory)")
	_ = cmd.RegisterFlagCompletionFunc("driver", cmdutil.FixedCompletion(driverSUC, driverCommand, driverManual))
}

// sucOnly are the flags that shape Plans or the controller: meaningless, and so
// refused, with another driver.
var sucOnly = []string{"suc-namespace", "service-account", "suc-deployment", "server-concurrency", "agent-concurrency", "image-pull-secret",
	"window-days", "window-start", "window-end", "window-timezone", "canary", "post-complete-delay", "upgrade-image", "retry-failed", "snapshot"}

// Validate checks the driver flags against each other and the rest.
func (o *UpgradeOptions) validateDriver() error {
	f := &o.command
	f.Driver = strings.ToLower(strings.TrimSpace(f.Driver))
	switch f.Driver {
	case driverSUC:
		for _, name := range []string{"command", "drain", "concurrency", "log-dir"} {
			if o.changed(name) {
				return fmt.Errorf("--%s works with --driver command or manual", name)
			}
		}
		return nil
	case driverCommand, driverManual:
	default:
		return fmt.Errorf("--driver %q: use suc, command or manual", f.Driver)
	}
	if o.rancher.Enabled() {
		return fmt.Errorf("--driver %s upgrades a cluster directly: drop --rancher-cluster, or let Rancher move the nodes", f.Driver)
	}
	if (f.Driver == driverCommand) != (strings.TrimSpace(f.Command) != "") {
		return fmt.Errorf("--command goes with --driver command (and only with it): give the command that upgrades one node, such as --command 'ssh root@$SKEW_INTERNAL_IP ...'")
	}
	if f.Concurrency < 1 {
		return fmt.Errorf("--concurrency %d: at least 1", f.Concurrency)
	}
	for _, name := range sucOnly {
		if o.changed(name) {
			return fmt.Errorf("--%s shapes system-upgrade-controller Plans; --driver %s does not use them", name, f.Driver)
		}
	}
	if o.DryRun == dryRunServer || o.out.Structured() {
		return fmt.Errorf("--driver %s writes no Plans to print: use --dry-run=client to see the checks and the path", f.Driver)
	}
	return nil
}

// commandDriver is the engine's driver for --driver command or manual.
func (o *UpgradeOptions) commandDriver() (*viacommand.Driver, error) {
	f := &o.command
	dir := f.LogDir
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		dir = filepath.Join(base, "kubectl-skew", "runs", time.Now().UTC().Format("20060102T150405Z"))
	}
	d := &viacommand.Driver{Mode: viacommand.Mode(f.Driver), Command: f.Command, Concurrency: f.Concurrency, LogDir: dir, Holder: holder()}
	if f.Drain {
		drain := o.cfg.Plans.Drain
		d.Drain = &drain
	}
	return d, nil
}

// holder names this run: who, where, which process.
func holder() string {
	host, _ := os.Hostname()
	user := os.Getenv("USER")
	if user == "" {
		user = "unknown"
	}
	return fmt.Sprintf("%s@%s pid %d", user, host, os.Getpid())
}

// confirmCommand asks before the first node moves.
func (o *UpgradeOptions) confirmCommand(ctx context.Context, p *upgrade.Proposal) error {
	how := fmt.Sprintf("run %q for each node", o.command.Command)
	if o.command.Driver == driverManual {
		how = "walk you through each node"
	}
	return o.env.Confirm(ctx, fmt.Sprintf("Upgrade to %s, one node at a time (%s)?", p.Path.Target, how), "pass --yes to go on without asking")
}

// driveCommand runs the engine with the command driver to the target.
func (o *UpgradeOptions) driveCommand(parent context.Context, cfg upgrade.Config, p *upgrade.Proposal) error {
	ctx, cancel := o.bounded(parent, true)
	defer cancel()
	w := o.env.Streams.Out
	began := time.Now()
	res, err := o.execute(ctx, cfg, p)
	resume := o.resumeCommand(p.Path.Target)
	var ne *viacommand.NodeError
	var nb *upgrade.NotBackError
	switch {
	case err == nil:
		table.WriteUpgradeSummary(w, res, p.Path.Target, time.Since(began), "")
		return nil
	case errors.Is(err, upgrade.ErrAborted):
		return fmt.Errorf("%w; nothing further was started; run %s again to go on", err, resume)
	case errors.As(err, &ne), errors.As(err, &nb):
		return fmt.Errorf("stopped: %w; fix the cause, then run %s again: it resumes and skips the nodes already on their release", err, resume)
	case parent.Err() != nil:
		return fmt.Errorf("interrupted: %w; a node whose command was running may be half done: kubectl skew status shows where the run stood; run %s again to resume", err, resume)
	case ctx.Err() != nil:
		return fmt.Errorf("timed out after %s: %w; a node whose command was running may be half done: kubectl skew status shows where the run stood; run %s again to resume", o.Timeout, err, resume)
	}
	return fmt.Errorf("stopped: %w; after fixing the cause run %s again", err, resume)
}

// accessSet names the permissions of the chosen driver (pkg/skew/access).
func (o *UpgradeOptions) accessSet(byCommand bool) string {
	if byCommand {
		return "upgrade-command"
	}
	return "upgrade"
}

// accessOptions are the features of this run that need permissions, and whether it
// only reads (a dry run, or Plans printed with -o).
func (o *UpgradeOptions) accessOptions(byCommand bool) access.Options {
	a := access.Options{SUCNamespace: o.cfg.Plans.Namespace, ReadOnly: o.DryRun != dryRunNone || (!byCommand && o.out.Structured())}
	add := func(on bool, f access.Feature) {
		if on {
			a.Features = append(a.Features, f)
		}
	}
	add(o.DryRun == dryRunServer && !byCommand, access.ServerDry)
	add(o.cfg.RetryFailed, access.RetryFailed)
	add(len(o.cfg.Plans.ImagePullSecrets) > 0, access.PullSecrets)
	add(byCommand && o.command.Drain, access.Drain)
	add(byCommand && o.command.Drain && o.cfg.Plans.Drain.DisableEviction, access.NoEviction)
	return a
}
