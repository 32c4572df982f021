// Package plan is "kubectl skew plan": the path to a target, one minor per hop, each hop checked.
package plan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
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

// plan builds the report; upgrade and the fleet view can reuse it.
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
	r := Report(path, o.upgradeCommand())
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
	settle(r, path, o.upgradeCommand())
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

// Report turns a path into the printed report.
func Report(p *upgradepath.Path, command string) *report.PlanReport {
	r := report.NewPlanReport()
	r.Notes = p.Notes
	s := &r.Summary
	s.Distro, s.Target, s.TargetSource = string(p.Distro), p.Target.String(), p.TargetSource
	s.LowestServer, s.HighestServer = p.LowestServer.String(), p.HighestServer.String()
	s.ChannelServer, s.Agents, s.Hops = p.ChannelsURL, string(p.Agents), len(p.Hops)
	s.UpToDate = len(p.Hops) == 0
	for _, h := range p.Hops {
		changes, unknown := p.Components(h)
		r.Hops = append(r.Hops, report.PlanHop{
			Hop: h.Number, Kind: string(h.Kind), From: h.From.String(), To: h.To.String(), Source: h.Source,
			Image:   suc.Image(p.Distro, h.To),
			Servers: planNodes(h.Servers), Agents: planNodes(h.Agents),
			Findings: cmdutil.NonNil(h.Findings), Blocking: cmdutil.NonNil(h.Blocking),
			Components: changes, ReleasesUnknown: unknown,
		})
	}
	settle(r, p, command)
	return r
}

// settle gives the summary its verdict and next step from the hops: a hop is blocked
// by skew findings (the path's Blocking) or by a hazard the upgrade's preflight check
// would refuse.
func settle(r *report.PlanReport, p *upgradepath.Path, command string) {
	skew := map[int]bool{}
	for _, b := range p.Blocking() {
		skew[b.Hop.Number] = true
	}
	r.Summary.Blocked = len(skew) > 0
	for _, h := range r.Hops {
		if len(h.BlockingHazards) > 0 {
			r.Summary.Blocked = true
		}
	}
	r.Summary.Next = nextStep(r, skew, command)
}

func planNodes(steps []upgradepath.NodeStep) []report.PlanNode {
	out := make([]report.PlanNode, 0, len(steps))
	for _, st := range steps {
		out = append(out, report.PlanNode{Name: st.Name, Role: string(st.Role), Hostname: st.Hostname, From: st.From.String()})
	}
	return out
}

// nextStep says, in one sentence, what upgrade would do first, or what stops it;
// skew holds the numbers of the hops skew findings block.
func nextStep(r *report.PlanReport, skew map[int]bool, command string) string {
	if r.Summary.UpToDate {
		return fmt.Sprintf("nothing to do: every node runs %s", r.Summary.Target)
	}
	for _, h := range r.Hops {
		if skew[h.Hop] {
			return fmt.Sprintf("hop %d is blocked: fix the blocking findings, then run kubectl skew plan again", h.Hop)
		}
		if ids := h.BlockingHazards; len(ids) > 0 {
			what := "hazard " + ids[0] + ": fix what it names, or acknowledge it"
			if len(ids) > 1 {
				what = "hazards " + strings.Join(ids, ", ") + ": fix what they name, or acknowledge them"
			}
			return fmt.Sprintf("hop %d is blocked by %s with --accept-hazard %s, then run kubectl skew plan again",
				h.Hop, what, strings.Join(ids, " --accept-hazard "))
		}
	}
	h := r.Hops[0]
	var who []string
	if n := len(h.Servers); n > 0 {
		who = append(who, fmt.Sprintf("%s one at a time", cmdutil.Plural(n, "server")))
	}
	if n := len(h.Agents); n > 0 {
		who = append(who, cmdutil.Plural(n, "agent"))
	}
	return fmt.Sprintf("%s would start with hop %d: %s (image %s) on %s; nothing was changed",
		command, h.Hop, h.To, h.Image, strings.Join(who, ", then "))
}
