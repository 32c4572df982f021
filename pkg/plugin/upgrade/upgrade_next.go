package upgrade

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/status"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// resumeCommand is the command that goes on with this upgrade, pinned to its
// target so that a moving channel cannot change it half way.
func (o *UpgradeOptions) resumeCommand(target version.Version) string {
	args := o.SourceArgs()
	def := suc.DefaultPlanConfig()
	if o.cfg.Plans.Namespace != def.Namespace {
		args = append(args, "--suc-namespace "+o.cfg.Plans.Namespace)
	}
	if o.cfg.Plans.ServiceAccount != def.ServiceAccount {
		args = append(args, "--service-account "+o.cfg.Plans.ServiceAccount)
	}
	if o.cfg.Plans.ServerConcurrency != def.ServerConcurrency {
		args = append(args, fmt.Sprintf("--server-concurrency %d", o.cfg.Plans.ServerConcurrency))
	}
	if o.cfg.Plans.AgentConcurrency != def.AgentConcurrency {
		args = append(args, fmt.Sprintf("--agent-concurrency %d", o.cfg.Plans.AgentConcurrency))
	}
	if o.cfg.Plans.Drain.Timeout != def.Drain.Timeout {
		args = append(args, "--drain-timeout "+o.cfg.Plans.Drain.Timeout.String())
	}
	if o.cfg.Plans.Drain.GracePeriod != def.Drain.GracePeriod {
		args = append(args, fmt.Sprintf("--drain-grace-period %d", o.cfg.Plans.Drain.GracePeriod))
	}
	if o.cfg.Plans.Drain.PodSelector != "" {
		args = append(args, "--drain-pod-selector '"+o.cfg.Plans.Drain.PodSelector+"'")
	}
	if o.cfg.Plans.Drain.DisableEviction {
		args = append(args, "--drain-disable-eviction")
	}
	if o.cfg.Plans.Drain.SkipWaitForDeleteTimeout > 0 {
		args = append(args, fmt.Sprintf("--drain-skip-wait-for-delete-timeout %d", o.cfg.Plans.Drain.SkipWaitForDeleteTimeout))
	}
	for _, s := range o.cfg.Plans.ImagePullSecrets {
		args = append(args, "--image-pull-secret "+s)
	}
	if len(o.WindowDays) > 0 {
		args = append(args, "--window-days "+strings.Join(o.WindowDays, ","), "--window-start "+o.WindowStart, "--window-end "+o.WindowEnd)
		if o.WindowZone != "" {
			args = append(args, "--window-timezone "+o.WindowZone)
		}
	}
	if o.NodeSelector != "" {
		args = append(args, "--node-selector '"+o.NodeSelector+"'")
	}
	if o.cfg.Plans.Canary > 0 {
		args = append(args, fmt.Sprintf("--canary %d", o.cfg.Plans.Canary))
	}
	if o.cfg.Plans.Drain.Force {
		args = append(args, "--drain-force")
	}
	if o.cfg.Plans.ImageRepository != "" {
		args = append(args, "--upgrade-image "+o.cfg.Plans.ImageRepository)
	}
	if o.cfg.NodeTimeout != upgrade.DefaultNodeTimeout {
		args = append(args, "--node-timeout "+o.cfg.NodeTimeout.String())
	}
	if o.cfg.Plans.PostCompleteDelay > 0 {
		args = append(args, "--post-complete-delay "+o.cfg.Plans.PostCompleteDelay.String())
	}
	if o.cfg.AllowRancher {
		args = append(args, "--allow-rancher")
	}
	if f := o.command; f.Driver != driverSUC && f.Driver != "" {
		args = append(args, "--driver "+f.Driver)
		if f.Command != "" {
			args = append(args, "--command "+install.Quote(f.Command))
		}
		if !f.Drain {
			args = append(args, "--drain=false")
		}
		if f.Concurrency > 1 {
			args = append(args, fmt.Sprintf("--concurrency %d", f.Concurrency))
		}
		if f.LogDir != "" {
			args = append(args, "--log-dir "+install.Quote(f.LogDir))
		}
	}
	if o.cfg.Force {
		args = append(args, "--force")
	}
	return status.ResumeCommand(target, args...)
}

// nextAfterApply says what comes after the step, for a run without --wait.
func (o *UpgradeOptions) nextAfterApply(path *upgradepath.Path, step *upgrade.Step) string {
	resume := o.resumeCommand(path.Target)
	hop := step.HopLabel()
	if step.Phase == upgrade.PhaseServers && len(step.Hop.Agents) > 0 {
		return fmt.Sprintf("the controller upgrades the %s of %s (%s) one by one; once they all run it (kubectl skew status), run %s to release the %s, or add --wait to follow to the end",
			cmdutil.Plural(len(step.Hop.Servers), "server"), hop, step.Hop.To, resume, cmdutil.Plural(len(step.Hop.Agents), "agent"))
	}
	if len(path.Hops) > 1 {
		return fmt.Sprintf("the controller upgrades the %s of %s (%s); once done (kubectl skew status), run %s for the next hop to %s, or add --wait to follow to the end",
			step.Phase, hop, step.Hop.To, resume, path.Hops[1].To)
	}
	return fmt.Sprintf("the controller upgrades the %s of %s (%s), the last step to %s; follow it with kubectl skew status or %s --wait",
		step.Phase, hop, step.Hop.To, path.Target, resume)
}
