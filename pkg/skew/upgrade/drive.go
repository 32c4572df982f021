package upgrade

import (
	"context"
	"fmt"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Execute applies the proposal's step and, with Wait, goes on to the target. It
// refuses a proposal that preflight refused: a failed check writes nothing.
func Execute(ctx context.Context, cfg Config, p *Proposal) (*Outcome, error) {
	if err := p.Refusal(); err != nil {
		return nil, err
	}
	if p.Step == nil {
		return &Outcome{Complete: true}, nil
	}
	d := &driver{cfg: cfg, channels: p.Channels}
	defer d.close()
	return d.run(ctx, p.Cluster, p.Path, p.Step)
}

// driver walks a path through the controller: it applies a step's Plans and, with
// Wait, follows them, verifies the phase and applies the next step until the
// target. It reuses the watches for the whole run.
type driver struct {
	cfg      Config
	channels *channel.List
	watcher  *watchSet
	tally    tally
}

func (d *driver) close() {
	if d.watcher != nil {
		d.watcher.Stop()
	}
}

func (d *driver) watch(ctx context.Context) (*watchSet, error) {
	if d.watcher != nil {
		return d.watcher, nil
	}
	kube, dyn := d.cfg.WatchKube, d.cfg.WatchDynamic
	if kube == nil {
		kube = d.cfg.Kube
	}
	if dyn == nil {
		dyn = d.cfg.Dynamic
	}
	w, err := startWatcher(ctx, kube, dyn, d.cfg.Plans.Namespace)
	if err != nil {
		return nil, err
	}
	d.watcher = w
	return w, nil
}

func (d *driver) run(ctx context.Context, cl *Cluster, path *upgradepath.Path, step *Step) (*Outcome, error) {
	out := &Outcome{Snapshot: suc.Record{Snapshot: step.Record.Snapshot, SnapshotNode: step.Record.SnapshotNode}}
	d.tally = newTally(path, step, d.cfg.Plans)
	baseline := errorKeys(cl.Inventory)
	if d.cfg.RetryFailed {
		if err := d.retryFailed(ctx); err != nil {
			return out, err
		}
	}
	snapshotDone := false
	for {
		if d.cfg.Snapshot && !snapshotDone && step.Phase == PhaseServers && !step.Resumed {
			rec, err := d.takeSnapshot(ctx, cl, step)
			if err != nil {
				return out, err
			}
			snapshotDone = true
			out.Snapshot = rec
			ours, err := d.cfg.plans().Ours(ctx)
			if err != nil {
				return out, fmt.Errorf("list our plans: %w", err)
			}
			if step, err = nextStep(cl.Inventory, path, ours, d.cfg.Plans, rec); err != nil {
				return out, err
			}
		}
		for _, name := range step.Prune {
			if err := d.cfg.plans().Delete(ctx, name, false); err != nil {
				return out, err
			}
			d.cfg.emit(Event{Kind: EventPruned, Step: step, Message: name})
		}
		applied, err := d.cfg.plans().Apply(ctx, step.Plans, suc.ApplyOptions{})
		if err != nil {
			return out, err
		}
		out.Last = step
		d.cfg.emit(Event{Kind: EventApplied, Step: step, Applied: applied})
		if !d.cfg.Wait {
			return out, nil
		}

		began := time.Now()
		if err := d.follow(ctx, step); err != nil {
			return out, err
		}
		out.Phases = append(out.Phases, PhaseTime{Hop: step.HopLabel(), Phase: step.Phase, To: step.Hop.To.String(), Nodes: len(step.Nodes()), Took: time.Since(began)})

		if cl, err = d.settledCluster(ctx, step, baseline); err != nil {
			return out, err
		}
		if err := d.watcher.Settle(ctx, step.Plans[0].Name, time.Minute); err != nil {
			return out, err
		}
		// The target stays what this run resolved: a channel may move while it runs.
		req := upgradepath.Request{Inventory: cl.Inventory, Version: &version.Target{Version: path.Target, Exact: true}, Channels: d.channels, Agents: d.cfg.Agents}
		next, err := upgradepath.Find(req)
		if err != nil {
			return out, fmt.Errorf("plan the rest after %s: %w", step.HopLabel(), err)
		}
		ours, err := d.cfg.plans().Ours(ctx)
		if err != nil {
			return out, fmt.Errorf("list our plans: %w", err)
		}
		prev := step
		if step, err = nextStep(cl.Inventory, next, ours, d.cfg.Plans, out.Snapshot); err != nil {
			return out, err
		}
		d.cfg.emit(Event{Kind: EventPhaseDone, Step: prev, Progress: d.tally.progress(), Message: phaseDoneLine(prev, step)})
		if step == nil {
			out.Complete = true
			return out, nil
		}
		if step.Phase == prev.Phase && step.Plans[0].Name == prev.Plans[0].Name {
			return out, fmt.Errorf("%s %s reported done, yet the cluster still needs it (nodes %s); run kubectl skew status and kubectl skew plan to see why",
				prev.HopLabel(), prev.Phase, stepNames(step.Nodes()))
		}
		path = next
		d.tally.count(next, step)
	}
}

func phaseDoneLine(step, next *Step) string {
	switch {
	case next == nil:
		return fmt.Sprintf("every node runs %s", step.Hop.To)
	case step.Phase == PhaseServers && next.Phase == PhaseAgents && next.Hop.To.Equal(step.Hop.To):
		return fmt.Sprintf("every server runs %s: releasing the agents", step.Hop.To)
	}
	return fmt.Sprintf("%s done: every node of it runs %s and the skew rules hold", step.HopLabel(), step.Hop.To)
}

func stepNames(steps []upgradepath.NodeStep) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Name
	}
	return text.Sample(names, 5)
}

// follow waits for one phase, reporting each node and the run's progress.
func (d *driver) follow(ctx context.Context, step *Step) error {
	w, err := d.watch(ctx)
	if err != nil {
		return err
	}
	role := suc.RoleServer
	if step.Phase == PhaseAgents {
		role = suc.RoleAgent
	}
	d.cfg.emit(Event{Kind: EventPhase, Step: step, Progress: d.tally.progress()})
	spec := phaseSpec{Plan: step.Plans[0].Name, Role: role, To: step.Hop.To, Nodes: step.Nodes(), StallAfter: d.cfg.StallAfter}
	return w.Follow(ctx, spec, func(ev NodeEvent) {
		d.tally.observe(ev, step.Phase)
		d.cfg.emit(Event{Kind: EventNode, Step: step, Node: ev, Progress: d.tally.progress()})
	})
}
