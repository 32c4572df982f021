package viarancher

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Provisioned upgrades a cluster Rancher provisioned (a provisioning.cattle.io
// Cluster with CAPI Machines): per hop an etcd snapshot through Rancher (unless
// Snapshot is off), then spec.kubernetesVersion set to the hop's version, and
// Rancher moves etcd, control-plane and worker nodes itself.
type Provisioned struct {
	Namespace, Name string
	// Snapshot takes an etcd snapshot through Rancher before each hop.
	Snapshot bool
	// Timeout is how long Rancher may make no progress before the run stops (0: 30m).
	Timeout time.Duration
	// ReadOnly asks for the read permissions only (a dry run writes nothing).
	ReadOnly bool

	cfg   *upgrade.Config
	run   *rancher.Config
	state *rancher.State
	steps []*upgrade.Step
}

// Ref names the cluster as --rancher-cluster does.
func (d *Provisioned) Ref() string { return d.Namespace + "/" + d.Name }

// Read reads the Cluster, its control plane, Machines and snapshots, and checks the
// identity may do what the run needs.
func (d *Provisioned) Read(ctx context.Context, cfg *upgrade.Config) (*upgrade.Cluster, error) {
	d.cfg = cfg
	d.run = &rancher.Config{Dynamic: cfg.Dynamic, Namespace: d.Namespace, Name: d.Name, Timeout: d.Timeout,
		Out: func(format string, args ...any) { note(cfg, format, args...) }}
	if err := requireAccess(ctx, cfg, "upgrade-rancher", access.Options{RancherNamespace: d.Namespace, ReadOnly: d.ReadOnly}); err != nil {
		return nil, err
	}
	s, err := rancher.Read(ctx, cfg.Dynamic, d.Namespace, d.Name)
	if err != nil {
		return nil, readError("read the Rancher cluster "+d.Ref(), "kubectl get clusters.provisioning.cattle.io -A", err)
	}
	if len(s.Machines) == 0 {
		return nil, fmt.Errorf("cluster %s has no CAPI Machines (label %s=%s): it is not a provisioned (v2) cluster, or it has no nodes yet", d.Ref(), rancher.LabelMachineCluster, d.Name)
	}
	d.state = s
	return &upgrade.Cluster{Inventory: s.Inventory()}, nil
}

// Propose refuses what Rancher's state or the path forbids, and otherwise proposes
// the first hop Rancher has not finished.
func (d *Provisioned) Propose(_ context.Context, p *upgrade.Proposal) error {
	s := d.state
	if p.Path == nil {
		p.Refused = notRancherDistro(d.Ref(), p)
		return nil
	}
	d.steps = hopSteps(p.Path)
	refuse(p, d.Ref(), s.Refusals(hopVersions(d.steps)))
	applied := "-"
	if s.ControlPlane != nil && s.ControlPlane.AppliedVersion != "" {
		applied = s.ControlPlane.AppliedVersion
	}
	p.Summary = []string{fmt.Sprintf("Rancher cluster %s (%s, %d machines): spec %s, applied %s, target %s", d.Ref(), p.Cluster.Inventory.Distro.Name(), len(s.Machines), s.Cluster.KubernetesVersion, applied, p.Path.Target)}
	if p.Refused != nil || len(d.steps) == 0 {
		return nil
	}
	p.Summary = append(p.Summary, fmt.Sprintf("Path: %s, one hop at a time; Rancher moves etcd, then control-plane, then worker nodes itself", versions(d.steps)))
	if d.Snapshot {
		p.Summary = append(p.Summary, "Snapshot: an etcd snapshot before each hop (--snapshot is on by default with --rancher-cluster; --snapshot=false skips it)")
	}
	p.Step = after(d.steps, nil, d.pending(s))
	return nil
}

func (d *Provisioned) pending(s *rancher.State) func(string) bool {
	return func(v string) bool { return !s.ProgressTo(v).Done }
}

// Begin has nothing to do before the first hop: each hop takes its own snapshot.
func (d *Provisioned) Begin(context.Context, *upgrade.Proposal, *upgrade.Outcome) error { return nil }

// Apply takes the hop's snapshot (unless the spec is set to the hop already: the
// snapshot was taken when it was set) and sets the version.
func (d *Provisioned) Apply(ctx context.Context, step *upgrade.Step, _ *upgrade.Outcome) error {
	s, v := d.state, step.Hop.To.String()
	note(d.cfg, "\n%s -> %s", step.HopLabel(), v)
	if d.Snapshot && s.Cluster.KubernetesVersion != v {
		made, err := d.run.TakeSnapshot(ctx, s)
		if err != nil {
			return fmt.Errorf("%v; the version was not changed", err)
		}
		note(d.cfg, "snapshot: %s", snapshotNames(made))
		if err := rancher.RecordSnapshot(ctx, d.cfg.Dynamic, &s.Cluster, made[0].Name, s.Cluster.KubernetesVersion); err != nil {
			return err
		}
	}
	if from := s.Cluster.KubernetesVersion; from != v {
		if err := rancher.SetVersion(ctx, d.cfg.Dynamic, &s.Cluster, v, d.target()); err != nil {
			return err
		}
		if d.cfg.Wait {
			note(d.cfg, "set spec.kubernetesVersion %s -> %s", from, v)
		}
	}
	if !d.cfg.Wait {
		note(d.cfg, "set spec.kubernetesVersion to %s: Rancher now upgrades the nodes. Follow with kubectl skew status --rancher-cluster %s; run this command again for the next hop, or with --wait to follow every hop.", v, d.Ref())
	}
	return nil
}

func (d *Provisioned) target() string { return d.steps[len(d.steps)-1].Hop.To.String() }

// Follow follows Rancher until every Machine runs the hop's version.
func (d *Provisioned) Follow(ctx context.Context, step *upgrade.Step) error {
	if err := d.run.MoveTo(ctx, d.state, step.Hop.To.String(), d.target()); err != nil {
		return fmt.Errorf("%v; stopped at %s, nothing further was changed (kubectl skew rollback --rancher-cluster %s restores the snapshot taken before the hop)", err, step.HopLabel(), d.Ref())
	}
	return nil
}

// Next reads Rancher's state again and proposes the next hop it has not finished.
func (d *Provisioned) Next(ctx context.Context, done *upgrade.Step, path *upgradepath.Path) (*upgradepath.Path, *upgrade.Step, error) {
	s, err := d.run.Refresh(ctx)
	if err != nil {
		return nil, nil, err
	}
	d.state = s
	if done != nil {
		note(d.cfg, "%s done: every machine runs %s", done.HopLabel(), done.Hop.To)
	}
	return path, after(d.steps, done, d.pending(s)), nil
}

// End holds nothing to release.
func (d *Provisioned) End(context.Context, *upgrade.Outcome, error) {}

func snapshotNames(snaps []rancher.Snapshot) string {
	out := make([]string, 0, len(snaps))
	for _, s := range snaps {
		out = append(out, fmt.Sprintf("%s (node %s, %s)", s.Name, s.Node, s.CreatedAt.UTC().Format("2006-01-02 15:04:05 MST")))
	}
	return strings.Join(out, ", ")
}
