package upgrade

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/status"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// sucDriver moves nodes through the system-upgrade-controller: per step it applies
// the Plans of one phase of a hop, follows their Jobs and nodes through watches
// reused for the whole run, and reads our Plans and Jobs to work out the next step.
type sucDriver struct {
	cfg      *Config
	channels *channel.List
	// applied are the Plans this run applied: one that is gone was aborted.
	applied map[string]bool
	watcher *watchSet
	// ours are our Plans as Read found them; allAgents the first hop's agents before
	// a canary picked some: what Export needs.
	ours      []upgradev1.Plan
	allAgents []upgradepath.NodeStep
	// baseline are the skew errors the cluster had before the run: a step is judged
	// on the ones it adds. snapshot is the snapshot this run took or planned.
	baseline     map[string]bool
	snapshot     suc.Record
	snapshotDone bool
	// path is the path the current step belongs to, as last planned.
	path *upgradepath.Path
}

// End stops the watches.
func (d *sucDriver) End(context.Context, *Outcome, error) { d.close() }

func (d *sucDriver) close() {
	if d.watcher != nil {
		d.watcher.Stop()
	}
}

// Changed is closed at the next change the run's watches see; nil before they
// start. The engine's gates wait on it (Watching).
func (d *sucDriver) Changed() <-chan struct{} {
	if d.watcher == nil {
		return nil
	}
	return d.watcher.Changed()
}

// watch starts the run's watches once (Begin does): every read after that comes
// from their caches.
func (d *sucDriver) watch(ctx context.Context, servers []string) (*watchSet, error) {
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
	w, err := startWatcher(ctx, kube, dyn, d.cfg.Plans.Namespace, servers...)
	if err != nil {
		return nil, err
	}
	d.watcher = w
	return w, nil
}

// Begin starts the run's watches (with Wait), retries failed Jobs when asked and cordons again
// what an earlier run's Plans found cordoned.
func (d *sucDriver) Begin(ctx context.Context, p *Proposal, out *Outcome) error {
	step := p.Step
	var servers []string
	for _, n := range p.Cluster.Inventory.Servers() {
		servers = append(servers, n.Name)
	}
	if d.cfg.Wait {
		if _, err := d.watch(ctx, servers); err != nil {
			return err
		}
	}
	d.snapshot = suc.Record{Snapshot: step.Record.Snapshot, SnapshotNode: step.Record.SnapshotNode}
	out.Snapshot = d.snapshot
	d.baseline = SkewErrors(p.Cluster.Inventory)
	if d.cfg.RetryFailed {
		if err := d.retryFailed(ctx); err != nil {
			return err
		}
	}
	ours, err := d.cfg.plans().Ours(ctx)
	if err != nil {
		return fmt.Errorf("list our plans: %w", err)
	}
	return d.recordon(ctx, p.Cluster.Inventory, ours)
}

// Apply takes the etcd snapshot before the first server step of the run when asked,
// deletes our superseded Plans and applies the step's.
func (d *sucDriver) Apply(ctx context.Context, step *Step, out *Outcome) error {
	if d.cfg.Snapshot && !d.snapshotDone && step.Phase == PhaseServers && !step.Resumed {
		w, err := d.watch(ctx, nil)
		if err != nil {
			return err
		}
		cl, err := w.Read(ctx)
		if err != nil {
			return fmt.Errorf("read the cluster: %w", err)
		}
		rec, err := d.takeSnapshot(ctx, cl, step)
		if err != nil {
			return err
		}
		d.snapshotDone, d.snapshot, out.Snapshot = true, rec, rec
		// The step's Plans record the snapshot taken: work them out again.
		fresh, err := d.stepFor(ctx, cl, d.path, rec)
		if err != nil {
			return err
		}
		*step = *fresh
	}
	for _, name := range step.Prune {
		if err := d.cfg.plans().Delete(ctx, name, false); err != nil {
			return err
		}
		delete(d.applied, name)
		d.cfg.emit(Event{Kind: EventPruned, Step: step, Message: name})
	}
	if len(step.Kept) > 0 {
		d.cfg.emit(Event{Kind: EventNote, Step: step, Message: fmt.Sprintf(
			"plan %s keeps its %s as created: what shapes its Jobs never changes while it exists, or the controller would start a node's upgrade over; to change it, run kubectl skew abort, then the upgrade again",
			step.Plans[0].Name, strings.Join(step.Kept, ", "))})
	}
	applied, err := d.cfg.plans().Apply(ctx, step.Plans, suc.ApplyOptions{})
	if errors.Is(err, suc.ErrAborting) {
		return fmt.Errorf("%w: %w", ErrAborted, err)
	}
	if err != nil {
		return err
	}
	for _, a := range applied {
		d.applied[a.Name] = true
	}
	d.cfg.emit(Event{Kind: EventApplied, Step: step, Applied: applied})
	return nil
}

// Next verifies the step just followed (its nodes on the version, the watches caught
// up, cordons restored), then works out the rest of the path from the cluster as
// the run's watches hold it: a gate re-evaluated at each change costs no request.
func (d *sucDriver) Next(ctx context.Context, done *Step, path *upgradepath.Path) (*upgradepath.Path, *Step, error) {
	w, err := d.watch(ctx, nil)
	if err != nil {
		return nil, nil, err
	}
	var cl *Cluster
	if done == nil {
		if cl, err = w.Read(ctx); err != nil {
			return nil, nil, fmt.Errorf("read the cluster: %w", err)
		}
	} else {
		// The apiserver's own version moves with its server, and no watch says so:
		// read it once per step.
		w.RefreshVersion()
		if cl, err = Settled(ctx, w, done, d.baseline, d.cfg.Force); err != nil {
			return nil, nil, err
		}
		if err := w.Settle(ctx, done.Plans[0].Name, time.Minute); err != nil {
			return nil, nil, err
		}
		ours, err := w.ours()
		if err != nil {
			return nil, nil, fmt.Errorf("read our plans: %w", err)
		}
		if err := d.recordon(ctx, cl.Inventory, ours); err != nil {
			return nil, nil, err
		}
	}
	next, step, err := d.replan(ctx, cl, path, d.snapshot)
	if err == nil {
		d.path = next
	}
	return next, step, err
}

// replan works out the path and the next step from the cluster as it is now. The
// target stays what this run resolved: a channel may move while it runs.
func (d *sucDriver) replan(ctx context.Context, cl *Cluster, path *upgradepath.Path, snapshot suc.Record) (*upgradepath.Path, *Step, error) {
	req := upgradepath.Request{Inventory: cl.Inventory, Version: &version.Target{Version: path.Target, Exact: true}, Channels: d.channels,
		Agents: d.cfg.Agents, CustomImage: d.cfg.Plans.ImageRepository != "", NodeSelector: d.cfg.NodeSelector, AcceptHazards: d.cfg.AcceptHazards,
		Releases: d.cfg.Releases}
	next, err := upgradepath.Find(req)
	if err != nil {
		return nil, nil, fmt.Errorf("plan the rest of the upgrade: %w", err)
	}
	step, err := d.stepFor(ctx, cl, next, snapshot)
	return next, step, err
}

// stepFor is the next step of path, from our Plans and their Jobs as they are now.
func (d *sucDriver) stepFor(ctx context.Context, cl *Cluster, path *upgradepath.Path, snapshot suc.Record) (*Step, error) {
	w, err := d.watch(ctx, nil)
	if err != nil {
		return nil, err
	}
	ours, err := w.ours()
	if err != nil {
		return nil, fmt.Errorf("read our plans: %w", err)
	}
	if err := d.notAborted(ours); err != nil {
		return nil, err
	}
	return nextStep(cl.Inventory, path, ours, d.cfg.planConfig(), snapshot, unsettledServers(cl.Inventory, ours, w.ownedJobs(), w.Leases(cl.Inventory)))
}

// Follow waits for one phase, reporting each node.
func (d *sucDriver) Follow(ctx context.Context, step *Step) error {
	w, err := d.watch(ctx, nil)
	if err != nil {
		return err
	}
	role := suc.RoleServer
	if step.Phase == PhaseAgents {
		role = suc.RoleAgent
	}
	if now := d.cfg.now(); len(step.Plans) > 0 {
		if at, ok := suc.NextOpen(step.Plans[0].Spec.Window, now); ok && at.After(now) {
			d.cfg.emit(Event{Kind: EventWaiting, Step: step, Message: fmt.Sprintf("the maintenance window, which opens %s: no node starts before", at.Format("Mon 2006-01-02 15:04 MST"))})
		}
	}
	spec := phaseSpec{Plan: step.Plans[0].Name, Role: role, To: step.Hop.To, Nodes: step.Nodes(), StallAfter: d.cfg.StallAfter, NodeTimeout: d.cfg.nodeTimeout()}
	err = w.Follow(ctx, spec, func(ev NodeEvent) {
		d.cfg.emit(Event{Kind: EventNode, Step: step, Node: ev})
	})
	var jf *JobFailedError
	if errors.As(err, &jf) {
		if job, gerr := d.cfg.Kube.BatchV1().Jobs(d.cfg.Plans.Namespace).Get(ctx, jf.Job, metav1.GetOptions{}); gerr == nil {
			if why := suc.PodFailure(ctx, d.cfg.Kube, job); why != "" {
				jf.Message += "; " + why
			}
		}
		jf.Blocker = status.DrainBlocker(ctx, d.cfg.Kube, jf.Message)
	}
	return err
}

// notAborted refuses to go on when one of our Plans is marked aborting, or a Plan
// this run applied is gone from ours (every step after the first is worked out from
// that list) without this run pruning it: someone ran kubectl skew abort, and nothing
// further is applied.
func (d *sucDriver) notAborted(ours []upgradev1.Plan) error {
	have := map[string]bool{}
	for _, p := range ours {
		have[p.Name] = true
	}
	for _, p := range ours {
		if since := suc.AbortingSince(&p); since != "" {
			return fmt.Errorf("%w: kubectl skew abort narrowed Plan %s at %s; run kubectl skew abort again to finish it", ErrAborted, p.Name, since)
		}
	}
	for name := range d.applied {
		if !have[name] {
			return fmt.Errorf("%w: Plan %s, which this run applied, was deleted", ErrAborted, name)
		}
	}
	return nil
}
