package upgrade

import (
	"context"
	"fmt"
	"strings"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Proposal is what a run would do, worked out before anything is written.
type Proposal struct {
	Cluster *Cluster
	// Path is nil when the cluster is not K3s or RKE2.
	Path *upgradepath.Path
	// Channels is the channel list the path was planned with; nil without one.
	Channels *channel.List
	// Step is the next step; nil when there is nothing to do.
	Step *Step
	// StepErr says why Step cannot be applied now (our Plans still busy elsewhere).
	StepErr error
	// Preview says what applying Step would do to each of its Plans.
	Preview   []suc.Applied
	Preflight *preflight.Report

	// ours are our Plans as read; allAgents the hop's agents before a canary picked
	// some: what Export needs.
	ours      []upgradev1.Plan
	allAgents []upgradepath.NodeStep
}

// UpToDate reports whether every node already runs the target.
func (p *Proposal) UpToDate() bool { return p.Path != nil && len(p.Path.Hops) == 0 }

// Prepare reads the cluster once, plans the path and the next step, and runs the
// preflight checks. It writes nothing.
func Prepare(ctx context.Context, cfg Config) (*Proposal, error) {
	cl, err := readCluster(ctx, cfg.Kube)
	if err != nil {
		return nil, err
	}
	p := &Proposal{Cluster: cl}
	facts := &preflight.Facts{Nodes: cl.Nodes, Inventory: cl.Inventory}
	if cl.Inventory.Distro.IsRancherDistro() {
		req := cfg.request()
		req.Inventory = cl.Inventory
		if p.Path, p.Channels, err = ResolvePath(ctx, req, cfg.Channels, cfg.FetchChannels); err != nil {
			return p, err
		}
		if p.UpToDate() {
			return p, nil
		}
		facts.Path = p.Path
	}
	opts := preflight.Options{
		Namespace: cfg.Plans.Namespace, Deployment: cfg.Deployment, ServiceAccount: cfg.Plans.ServiceAccount,
		AllowRancher: cfg.AllowRancher, Force: cfg.Force, Strict: cfg.Strict, RetryFailed: cfg.RetryFailed,
		AcceptHazards: cfg.AcceptHazards, NoHazards: cfg.NoHazards,
		TakeSnapshot: cfg.Snapshot, SnapshotMaxAge: cfg.SnapshotMaxAge, Now: cfg.now(), CustomImage: cfg.Plans.ImageRepository != "",
		Drain: cfg.Plans.Drain, AgentConcurrency: cfg.Plans.AgentConcurrency, ImagePullSecrets: cfg.Plans.ImagePullSecrets,
	}
	src := preflight.Source{Kube: cfg.Kube, Dynamic: cfg.Dynamic, Discovery: cfg.Discovery, ScanAPIs: cfg.ScanAPIs}
	preflight.Gather(ctx, src, facts, opts)
	if p.Path != nil {
		// Not served or forbidden: the preflight checks say so, by name.
		if facts.PlanAPIServed && facts.PlansErr != nil && !apierrors.IsForbidden(facts.PlansErr) {
			return p, &cluster.ReadError{What: "list plans in " + cfg.Plans.Namespace, Err: facts.PlansErr}
		}
		var snap suc.Record
		if cfg.Snapshot {
			snap = plannedSnapshot(cl, p.Path)
		}
		ours := suc.Ours(facts.Plans)
		p.ours = ours
		p.Step, p.StepErr = nextStep(cl.Inventory, p.Path, ours, cfg.planConfig(), snap, unsettledServers(cl.Inventory, ours, facts.Jobs, serverLeases(ctx, cfg.Kube, cl.Inventory)))
		if p.Step != nil {
			if len(p.Path.Hops) > 0 {
				p.allAgents = p.Path.Hops[0].Agents
			}
			opts.NeedDelete = len(p.Step.Prune) > 0
			opts.SnapshotName, opts.SnapshotNode = p.Step.Record.Snapshot, p.Step.Record.SnapshotNode
			p.Preview, _ = suc.PreviewAgainst(p.Step.Plans, facts.Plans)
		}
	}
	p.Preflight = preflight.Evaluate(facts, opts)
	return p, nil
}

// Refusal is the error that stops the run before anything is written, if any.
func (p *Proposal) Refusal() error {
	if p.Preflight != nil {
		if failed := p.Preflight.Failed(); len(failed) > 0 {
			return &RefusedError{Failed: failed, BySkew: p.Preflight.BlockedBySkew}
		}
	}
	return p.StepErr
}

// RefusedError is a run that preflight refused; nothing was written.
type RefusedError struct {
	Failed []preflight.Check
	// BySkew is true when skew findings are the only reason.
	BySkew bool
}

func (e *RefusedError) Error() string {
	names := make([]string, len(e.Failed))
	for i, c := range e.Failed {
		names[i] = c.Name
	}
	return fmt.Sprintf("preflight failed (%s): nothing was changed", strings.Join(names, ", "))
}
