package upgrade

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/status"
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
	d := &driver{cfg: cfg, channels: p.Channels, applied: map[string]bool{}}
	defer d.close()
	return d.run(ctx, p.Cluster, p.Path, p.Step)
}

// driver walks a path through the controller: it applies a step's Plans and, with
// Wait, follows them, verifies the phase and applies the next step until the
// target. It reuses the watches for the whole run.
type driver struct {
	cfg      Config
	channels *channel.List
	// applied are the Plans this run applied: one that is gone was aborted.
	applied map[string]bool
	watcher *watchSet
	tally   tally
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
	if err := d.recordon(ctx, cl.Inventory); err != nil {
		return out, err
	}
	snapshotDone := false
	for {
		var err error
		if len(step.Waiting) > 0 {
			if !d.cfg.Wait {
				out.Last = step
				return out, nil
			}
			if cl, path, step, err = d.waitSettled(ctx, step, path, out.Snapshot); err != nil || step == nil {
				out.Complete = err == nil
				return out, err
			}
			d.tally.count(path, step)
			continue
		}
		if d.cfg.Snapshot && !snapshotDone && step.Phase == PhaseServers && !step.Resumed {
			rec, err := d.takeSnapshot(ctx, cl, step)
			if err != nil {
				return out, err
			}
			snapshotDone = true
			out.Snapshot = rec
			if step, err = d.stepFor(ctx, cl, path, rec); err != nil {
				return out, err
			}
		}
		for _, name := range step.Prune {
			if err := d.cfg.plans().Delete(ctx, name, false); err != nil {
				return out, err
			}
			delete(d.applied, name)
			d.cfg.emit(Event{Kind: EventPruned, Step: step, Message: name})
		}
		applied, err := d.cfg.plans().Apply(ctx, step.Plans, suc.ApplyOptions{})
		if errors.Is(err, suc.ErrAborting) {
			return out, fmt.Errorf("%w: %w", ErrAborted, err)
		}
		if err != nil {
			return out, err
		}
		for _, a := range applied {
			d.applied[a.Name] = true
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
		if err := d.recordon(ctx, cl.Inventory); err != nil {
			return out, err
		}
		if step.Canary {
			// Verified: the canary agents run the version, are Ready, and broke no rule.
			out.Canary = step
			return out, nil
		}
		prev := step
		if path, step, err = d.replan(ctx, cl, path, out.Snapshot); err != nil {
			return out, err
		}
		d.cfg.emit(Event{Kind: EventPhaseDone, Step: prev, Progress: d.tally.progress(), Message: phaseDoneLine(prev, step)})
		if step == nil {
			out.Complete = true
			return out, nil
		}
		if len(step.Waiting) == 0 && step.Phase == prev.Phase && step.Plans[0].Name == prev.Plans[0].Name && sameNodes(step.Nodes(), prev.Nodes()) {
			return out, fmt.Errorf("%s %s reported done, yet the cluster still needs it (nodes %s); run kubectl skew status and kubectl skew plan to see why",
				prev.HopLabel(), prev.Phase, stepNames(step.Nodes()))
		}
		d.tally.count(path, step)
	}
}

func sameNodes(a, b []upgradepath.NodeStep) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// replan works out the path and the next step from the cluster as it is now. The
// target stays what this run resolved: a channel may move while it runs.
func (d *driver) replan(ctx context.Context, cl *Cluster, path *upgradepath.Path, snapshot suc.Record) (*upgradepath.Path, *Step, error) {
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
func (d *driver) stepFor(ctx context.Context, cl *Cluster, path *upgradepath.Path, snapshot suc.Record) (*Step, error) {
	ours, err := d.cfg.plans().Ours(ctx)
	if err != nil {
		return nil, fmt.Errorf("list our plans: %w", err)
	}
	if err := d.notAborted(ours); err != nil {
		return nil, err
	}
	jobs, err := d.cfg.Kube.BatchV1().Jobs(d.cfg.Plans.Namespace).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector})
	if err != nil {
		return nil, fmt.Errorf("list jobs in %s: %w", d.cfg.Plans.Namespace, err)
	}
	return nextStep(cl.Inventory, path, ours, d.cfg.planConfig(), snapshot, unsettledServers(cl.Inventory, ours, jobs.Items, serverLeases(ctx, d.cfg.Kube, cl.Inventory)))
}

// waitSettled waits, reading the cluster every few seconds, until nothing holds the
// next step back: each released server is back, the control plane runs the hop's
// version. It gives up after NodeTimeout, naming what is missing; nothing further is
// applied then.
func (d *driver) waitSettled(ctx context.Context, step *Step, path *upgradepath.Path, snapshot suc.Record) (*Cluster, *upgradepath.Path, *Step, error) {
	limit := d.cfg.nodeTimeout()
	deadline := time.Now().Add(limit)
	said := ""
	for {
		if line := WaitingLine(step.Waiting); line != said {
			d.cfg.emit(Event{Kind: EventWaiting, Step: step, Message: line})
			said = line
		}
		select {
		case <-ctx.Done():
			return nil, nil, nil, ctx.Err()
		case <-time.After(gatePoll):
		}
		cl, err := readCluster(ctx, d.cfg.Kube)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("read the cluster: %w", err)
		}
		next, st, err := d.replan(ctx, cl, path, snapshot)
		if err != nil || st == nil || len(st.Waiting) == 0 {
			return cl, next, st, err
		}
		step = st
		if time.Now().After(deadline) {
			return nil, nil, nil, &NotBackError{Waiting: st.Waiting, After: limit}
		}
	}
}

// gatePoll is how often waitSettled reads the cluster.
var gatePoll = time.Second

// NotBackError stops a run whose servers did not come back, or whose control plane
// did not reach the hop's version, within the node timeout.
type NotBackError struct {
	Waiting map[string]string
	After   time.Duration
}

func (e *NotBackError) Error() string {
	return fmt.Sprintf("not back within %s: %s; nothing further was applied", e.After, WaitingLine(e.Waiting))
}

// WaitingLine says what a step waits for, in one line.
func WaitingLine(w map[string]string) string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + w[n]
	}
	return strings.Join(parts, "; ")
}

func phaseDoneLine(step, next *Step) string {
	switch {
	case next == nil:
		return fmt.Sprintf("every node runs %s", step.Hop.To)
	case step.Phase == PhaseServers && next.Phase == PhaseAgents && next.Hop.To.Equal(step.Hop.To):
		return fmt.Sprintf("every server runs %s: releasing the agents", step.Hop.To)
	case step.Phase == PhaseServers && next.Phase == PhaseServers && next.Hop.To.Equal(step.Hop.To):
		return fmt.Sprintf("%s upgraded to %s; the next server goes once it is back", stepNames(step.Nodes()), step.Hop.To)
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
	if now := d.cfg.now(); len(step.Plans) > 0 {
		if at, ok := suc.NextOpen(step.Plans[0].Spec.Window, now); ok && at.After(now) {
			d.cfg.emit(Event{Kind: EventWaiting, Step: step, Message: fmt.Sprintf("the maintenance window, which opens %s: no node starts before", at.Format("Mon 2006-01-02 15:04 MST"))})
		}
	}
	spec := phaseSpec{Plan: step.Plans[0].Name, Role: role, To: step.Hop.To, Nodes: step.Nodes(), StallAfter: d.cfg.StallAfter, NodeTimeout: d.cfg.nodeTimeout()}
	err = w.Follow(ctx, spec, func(ev NodeEvent) {
		d.tally.observe(ev, step.Phase)
		d.cfg.emit(Event{Kind: EventNode, Step: step, Node: ev, Progress: d.tally.progress()})
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
func (d *driver) notAborted(ours []upgradev1.Plan) error {
	have := map[string]bool{}
	for _, p := range ours {
		have[p.Name] = true
	}
	for _, p := range ours {
		if since := p.Annotations[suc.AnnotationAborting]; since != "" {
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
