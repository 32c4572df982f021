package viarancher

import (
	"context"
	"fmt"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Imported upgrades a K3s or RKE2 cluster imported into Rancher: per hop it sets the
// management Cluster's spec.<driver>Config.kubernetesVersion once, follows Rancher
// until it and every node agree, and checks our own gate before the next hop, which
// Rancher does not (every server on the hop, every node Ready).
type Imported struct {
	// Name is the management Cluster (c-m-…).
	Name string
	// Timeout is how long a hop may make no progress before the run stops (0: 30m).
	Timeout  time.Duration
	ReadOnly bool
	// Strategy is what to change in Rancher's upgrade strategy; nil fields keep it.
	Strategy StrategyChange
	// Downstream, when set, is the cluster's own apiserver: before the first hop an
	// etcd snapshot is taken there through the system-upgrade-controller, as
	// --snapshot does; Rancher takes none of an imported cluster. DownstreamName
	// names it in messages.
	Downstream     *upgrade.Config
	DownstreamName string

	cfg     *upgrade.Config
	state   *rancher.ImportedState
	steps   []*upgrade.Step
	changes []string
	want    rancher.Strategy
	// patched are the versions this run set: a True Upgraded condition read just
	// after counts only once it went Unknown.
	patched map[string]bool
}

// Ref names the cluster as messages do.
func (d *Imported) Ref() string { return d.Name }

// Read reads the management Cluster and its Nodes, and checks the identity may do
// what the run needs.
func (d *Imported) Read(ctx context.Context, cfg *upgrade.Config) (*upgrade.Cluster, error) {
	d.cfg, d.patched = cfg, map[string]bool{}
	s, err := rancher.ReadImported(ctx, cfg.Dynamic, d.Name)
	if err != nil {
		return nil, readError("read the Rancher cluster "+d.Name, "kubectl get clusters.management.cattle.io", err)
	}
	if len(s.Nodes) == 0 {
		return nil, fmt.Errorf("imported cluster %s has no management.cattle.io Nodes in namespace %s: Rancher has not seen its nodes yet (is its cattle-cluster-agent connected?)", d.Name, d.Name)
	}
	// The cluster's id (c-m-…) names what to ask for: known only once read.
	if err := requireAccess(ctx, cfg, "upgrade-rancher-imported", access.Options{ImportedCluster: s.Cluster.Name, ReadOnly: d.ReadOnly, AfterRead: true}); err != nil {
		return nil, err
	}
	d.state = s
	return &upgrade.Cluster{Inventory: s.Inventory()}, nil
}

// Propose refuses what the path, Rancher's state or the strategy forbid, and
// otherwise proposes the path's first hop.
func (d *Imported) Propose(_ context.Context, p *upgrade.Proposal) error {
	s := d.state
	if p.Path == nil {
		p.Refused = notRancherDistro(d.Ref(), p)
		return nil
	}
	d.steps = underWay(s, p.Path, hopSteps(p.Path))
	d.want, d.changes = d.Strategy.apply(s.Cluster.Strategy)
	refuse(p, d.Ref(), s.Refusals(hopVersions(d.steps), d.want))
	p.Summary = []string{fmt.Sprintf("Rancher cluster %s (imported %s, %d nodes): spec %s, Rancher reports %s, target %s", d.Ref(), s.Distro().Name(), len(s.Nodes), s.Cluster.Version, s.Cluster.StatusVersion, p.Path.Target)}
	if p.Refused != nil || len(d.steps) == 0 {
		return nil
	}
	p.Summary = append(p.Summary, fmt.Sprintf("Path: %s, one hop at a time: each sets spec.%sConfig.kubernetesVersion once; Rancher moves the servers, then the other nodes", versions(d.steps), s.Cluster.Driver))
	for _, ch := range d.changes {
		p.Summary = append(p.Summary, fmt.Sprintf("Strategy: %s (asked for)", ch))
	}
	if d.Downstream == nil {
		p.Warnings = append(p.Warnings, fmt.Sprintf("no etcd snapshot: Rancher takes none of an imported cluster; pass --downstream-context with the cluster's own kubeconfig context to take one first, or run `%s etcd-snapshot save` on a server", s.Distro()))
	}
	p.Step = d.steps[0]
	return nil
}

// underWay puts in front of steps the hop Rancher is making when the path, planned
// from the nodes, starts past it: once the servers moved, the nodes say the next
// hop, but the spec names the one under way, which the run follows to its end first
// (a run that resumes, or one that follows what an earlier one set).
func underWay(s *rancher.ImportedState, path *upgradepath.Path, steps []*upgrade.Step) []*upgrade.Step {
	c := &s.Cluster
	v, err := version.Parse(c.Version)
	if err != nil || s.HopDone(c.Version, true) || len(steps) == 0 || !v.LessThan(steps[0].Hop.To) || path.Target.LessThan(v) {
		return steps
	}
	if cur, err := version.Parse(c.StatusVersion); err == nil && v.LessThan(cur) {
		return steps // a downgrade is no hop of ours
	}
	out := append([]*upgrade.Step{{Hop: upgradepath.Hop{Number: 1, To: v}, Phase: upgrade.PhaseCluster}}, steps...)
	for i, st := range out {
		st.Index, st.Total, st.Hop.Number = i+1, len(out), i+1
	}
	return out
}

// Begin clears an earlier abort request (this run is asked for), takes the
// downstream snapshot when no hop is under way, and writes the strategy asked for.
func (d *Imported) Begin(ctx context.Context, _ *upgrade.Proposal, out *upgrade.Outcome) error {
	c := &d.state.Cluster
	if c.Annotations[rancher.AnnotationAbort] != "" {
		if err := rancher.SetAbort(ctx, d.cfg.Dynamic, c, false); err != nil {
			return err
		}
		note(d.cfg, "Abort: an earlier abort request was cleared; this run goes on")
	}
	if d.Downstream != nil && c.Version == c.StatusVersion {
		if err := d.snapshot(ctx, out); err != nil {
			return fmt.Errorf("%v; the version was not changed", err)
		}
	}
	if len(d.changes) > 0 {
		if err := rancher.SetImportedStrategy(ctx, d.cfg.Dynamic, c, d.want); err != nil {
			return err
		}
		note(d.cfg, "set %supgradeStrategy: %s", c.Driver, joinChanges(d.changes))
	}
	return nil
}

// snapshot takes the etcd snapshot on the downstream cluster itself.
func (d *Imported) snapshot(ctx context.Context, out *upgrade.Outcome) error {
	cfg := *d.Downstream
	cfg.Emit = func(e upgrade.Event) { note(d.cfg, "snapshot: %s", e.Message) }
	rec, err := upgrade.Snapshot(ctx, cfg)
	if err != nil {
		return fmt.Errorf("snapshot on context %s: %w", d.DownstreamName, err)
	}
	out.Snapshot = rec
	note(d.cfg, "snapshot: %s on %s (context %s)", rec.Snapshot, rec.SnapshotNode, d.DownstreamName)
	return nil
}

// Apply sets the hop's version once, unless someone asked the run to stop.
func (d *Imported) Apply(ctx context.Context, step *upgrade.Step, _ *upgrade.Outcome) error {
	st, v := d.state, step.Hop.To.String()
	note(d.cfg, "\n%s -> %s", step.HopLabel(), v)
	if st.Cluster.Version != v {
		fresh, err := rancher.RefreshImported(ctx, d.cfg.Dynamic, st.Cluster.Name)
		if err != nil {
			return err
		}
		if at := fresh.Cluster.Annotations[rancher.AnnotationAbort]; at != "" {
			return fmt.Errorf("aborted before %s (kubectl skew abort at %s): %s stays on %s; run kubectl skew upgrade again to go on", step.HopLabel(), at, d.Ref(), st.Cluster.StatusVersion)
		}
		from := st.Cluster.Version
		if err := rancher.SetImportedVersion(ctx, d.cfg.Dynamic, &st.Cluster, v); err != nil {
			return err
		}
		d.patched[v] = true
		note(d.cfg, "set spec.%sConfig.kubernetesVersion %s -> %s", st.Cluster.Driver, from, v)
	}
	if !d.cfg.Wait {
		note(d.cfg, "Rancher now upgrades the nodes to %s. Follow with kubectl skew status --rancher-cluster %s; run this command again for the next hop, or with --wait to follow every hop.", v, d.Ref())
	}
	return nil
}

// Follow follows Rancher until it reports the hop's version, Upgraded True, and
// every node runs it.
func (d *Imported) Follow(ctx context.Context, step *upgrade.Step) error {
	v := step.Hop.To.String()
	run := &rancher.ImportedRun{Dynamic: d.cfg.Dynamic, Name: d.Name, Timeout: d.Timeout,
		Out: func(format string, args ...any) { note(d.cfg, format, args...) }}
	s, err := run.Follow(ctx, v, d.patched[v], d.state.Nodes)
	if err != nil {
		return fmt.Errorf("%v; stopped at %s, nothing further was changed (Rancher cannot roll back a hop that has started: fix the node, and the hop goes on; then run this command again)", err, step.HopLabel())
	}
	d.state = s
	return nil
}

// Next checks our gate after a hop and proposes the next hop of the path.
func (d *Imported) Next(_ context.Context, done *upgrade.Step, path *upgradepath.Path) (*upgradepath.Path, *upgrade.Step, error) {
	if done == nil {
		return path, d.steps[0], nil
	}
	v := done.Hop.To.String()
	if err := d.state.Gate(v); err != nil {
		return nil, nil, fmt.Errorf("%s reached %s, but our gate before the next hop failed: %v; nothing further was changed", done.HopLabel(), v, err)
	}
	moved, total := d.state.Moved(v)
	note(d.cfg, "%s done: Rancher reports %s, Upgraded True, %d of %d nodes on it, every node Ready", done.HopLabel(), v, moved, total)
	return path, after(d.steps, done, func(string) bool { return true }), nil
}

// End holds nothing to release.
func (d *Imported) End(context.Context, *upgrade.Outcome, error) {}
