package upgrade

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// Read reads the cluster once (cluster.ReadObjects): its nodes and the inventory.
func (d *sucDriver) Read(ctx context.Context, cfg *Config) (*Cluster, error) {
	d.cfg = cfg
	d.applied = map[string]bool{}
	return ReadCluster(ctx, cfg.Kube)
}

// Propose runs the preflight checks (distribution, controller, permissions, Rancher,
// other Plans, skew, hazards, snapshot, removed APIs, nodes) on what Read and the
// checks' own reads found, and works out the first step from our Plans.
func (d *sucDriver) Propose(ctx context.Context, p *Proposal) error {
	if p.UpToDate() {
		return nil
	}
	cfg, cl := d.cfg, p.Cluster
	d.channels, d.path = p.Channels, p.Path
	facts := &preflight.Facts{Nodes: cl.Nodes, Inventory: cl.Inventory, Path: p.Path}
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
			return &cluster.ReadError{What: "list plans in " + cfg.Plans.Namespace, Err: facts.PlansErr}
		}
		var snap suc.Record
		if cfg.Snapshot {
			snap = plannedSnapshot(cl, p.Path)
		}
		d.ours = suc.Ours(facts.Plans)
		p.Step, p.StepErr = nextStep(cl.Inventory, p.Path, d.ours, cfg.planConfig(), snap, unsettledServers(cl.Inventory, d.ours, facts.Jobs, ServerLeases(ctx, cfg.Kube, cl.Inventory)))
		if p.Step != nil {
			if len(p.Path.Hops) > 0 {
				d.allAgents = p.Path.Hops[0].Agents
			}
			opts.NeedDelete = len(p.Step.Prune) > 0
			opts.SnapshotName, opts.SnapshotNode = p.Step.Record.Snapshot, p.Step.Record.SnapshotNode
			p.Preview, _ = suc.PreviewAgainst(p.Step.Plans, facts.Plans)
		}
	}
	p.Preflight = preflight.Evaluate(facts, opts)
	return nil
}
