// Package viacommand is the upgrade engine's driver for clusters the operator
// upgrades with their own tool (the install script over ssh, an Ansible playbook,
// nixos-rebuild): per node it cordons and drains, runs the operator's command (or,
// in manual mode, tells the operator what to run) and waits until the node is back
// on the release before the next. The engine keeps the path, the refusals and the
// order; the gates are the SUC driver's own (upgrade.ServerBack, ControlPlaneAt).
package viacommand

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Mode is who moves a node: the operator's command, or the operator.
type Mode string

const (
	Command Mode = "command"
	Manual  Mode = "manual"
)

// Driver moves nodes with the operator's own tool.
type Driver struct {
	Mode Mode
	// Command is run with /bin/sh -c for each node (Mode Command).
	Command string
	// Drain, when set, drains each node after cordoning it (kubectl drain's
	// settings); nil only cordons.
	Drain *suc.Drain
	// Concurrency is how many agents move at once (servers: always one).
	Concurrency int
	// LogDir holds one log per node: the command's output and the drain's.
	LogDir string
	// Namespace holds the run record and the Lease (runrecord.DefaultNamespace).
	Namespace string
	// Holder names this run in the Lease and the record (user@host, pid).
	Holder string
	// Run runs the command; nil is ShellRunner.
	Run Runner

	cfg      *upgrade.Config
	cl       *upgrade.Cluster
	distro   version.Distro
	channels *channel.List
	baseline map[string]bool
	record   *runrecord.Record
	stop     context.CancelFunc
	renewed  chan struct{}

	// hop is the hop under way: its agents go before the path goes on.
	hop *upgradepath.Hop
	// seen is the last read of the nodes a step waits for.
	seen observation
	// view holds the cluster for a run that waits, watched from Begin to End.
	view *upgrade.View

	mu    sync.Mutex
	ended map[string]time.Time
}

func (d *Driver) runner() Runner {
	if d.Run != nil {
		return d.Run
	}
	return ShellRunner
}

func (d *Driver) ns() string {
	if d.Namespace == "" {
		return runrecord.DefaultNamespace
	}
	return d.Namespace
}

// Read reads the cluster once, and the record of an earlier run.
func (d *Driver) Read(ctx context.Context, cfg *upgrade.Config) (*upgrade.Cluster, error) {
	d.cfg, d.ended = cfg, map[string]time.Time{}
	cl, err := upgrade.ReadCluster(ctx, cfg.Kube)
	if err != nil {
		return nil, err
	}
	d.cl, d.distro = cl, cl.Inventory.Distro
	if d.record, err = runrecord.Read(ctx, cfg.Kube, d.ns()); err != nil {
		return nil, &cluster.ReadError{What: "read the run record", Err: err}
	}
	return cl, nil
}

// Propose runs the preflight checks that concern this driver, refuses a cluster
// another run is upgrading (its Lease), and works out the first step.
func (d *Driver) Propose(ctx context.Context, p *upgrade.Proposal) error {
	if p.UpToDate() || p.Path == nil {
		return nil
	}
	d.channels = p.Channels
	cfg := d.cfg
	facts := &preflight.Facts{Nodes: d.cl.Nodes, Inventory: d.cl.Inventory, Path: p.Path}
	opts := preflight.Options{Driver: string(d.Mode), Namespace: cfg.Plans.Namespace, AllowRancher: cfg.AllowRancher, Force: cfg.Force, Strict: cfg.Strict,
		AcceptHazards: cfg.AcceptHazards, NoHazards: cfg.NoHazards, SnapshotMaxAge: cfg.SnapshotMaxAge, Now: time.Now(), AgentConcurrency: int64(max(d.Concurrency, 1))}
	if d.Drain != nil {
		opts.Drain = *d.Drain
	}
	preflight.Gather(ctx, preflight.Source{Kube: cfg.Kube, Dynamic: cfg.Dynamic, Discovery: cfg.Discovery, ScanAPIs: cfg.ScanAPIs}, facts, opts)
	p.Preflight = preflight.Evaluate(facts, opts)
	held, err := runrecord.Holder(ctx, cfg.Kube, d.ns(), time.Now())
	switch {
	case err != nil:
		p.Refused = &upgrade.Refusal{ID: upgrade.RefusedState, Reason: err.Error()}
	case held != nil && held.Holder != d.Holder:
		p.Refused = &upgrade.Refusal{ID: upgrade.RefusedState, Reason: held.Error(),
			Fix: "wait for it to end (kubectl skew status shows it), or stop it with kubectl skew abort"}
	}
	p.Step = d.next(ctx, p.Path)
	return nil
}

func (d *Driver) next(ctx context.Context, path *upgradepath.Path) *upgrade.Step {
	path, d.hop = underWay(d.cl.Inventory, path, d.hop, d.record)
	d.mu.Lock()
	ended := make(map[string]time.Time, len(d.ended))
	for k, v := range d.ended {
		ended[k] = v
	}
	d.mu.Unlock()
	unfinished := map[string]bool{}
	if d.record != nil && len(path.Hops) > 0 {
		for _, n := range d.record.Nodes {
			if n.To == path.Hops[0].To.String() && n.State != runrecord.NodeDone {
				unfinished[n.Name] = true
			}
		}
	}
	step := nextStep(d.cl.Inventory, path, d.Concurrency, gateFacts{ended: ended, leases: d.leases(ctx, d.cl), unfinished: unfinished})
	if d.record != nil {
		placed(step, d.record.Hops)
	}
	if step != nil {
		d.hop = &step.Hop
	}
	return step
}

// Begin takes the Lease (renewed while the run lasts), starts the run record and,
// for a run that waits, the watches its gates read.
func (d *Driver) Begin(ctx context.Context, p *upgrade.Proposal, _ *upgrade.Outcome) error {
	kube, ns := d.cfg.Kube, d.ns()
	if d.cfg.Wait {
		wk := d.cfg.WatchKube
		if wk == nil {
			wk = kube
		}
		var servers []string
		for _, n := range p.Cluster.Inventory.Servers() {
			servers = append(servers, n.Name)
		}
		v, err := upgrade.StartView(ctx, wk, servers)
		if err != nil {
			return err
		}
		d.view = v
	}
	if err := runrecord.Acquire(ctx, kube, ns, d.Holder, time.Now()); err != nil {
		return err
	}
	renewCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	d.stop, d.renewed = stop, make(chan struct{})
	go d.renew(renewCtx)
	d.baseline = upgrade.SkewErrors(p.Cluster.Inventory)
	now := time.Now().UTC()
	if r := d.record; r == nil || r.State != runrecord.StateRunning && r.State != runrecord.StateFailed && r.State != runrecord.StateAborted || r.Target != p.Path.Target.String() {
		d.record = &runrecord.Record{Driver: string(d.Mode), Distro: string(d.distro), Target: p.Path.Target.String(), Hops: hopVersions(p.Path), Started: now}
	}
	r := d.record
	if r.AbortRequested != "" {
		// kubectl skew abort stopped the run before this one (we hold the Lease: it is
		// over). This is a new run: a new start, so that the abort stays with that run
		// (runrecord.Write keeps an abort of the same run) and this one goes on.
		r.Started = now
	}
	r.Holder, r.State, r.Updated, r.AbortRequested, r.Message = d.Holder, runrecord.StateRunning, now, "", ""
	placed(p.Step, r.Hops)
	return runrecord.Write(ctx, kube, ns, r)
}

func (d *Driver) renew(ctx context.Context) {
	defer close(d.renewed)
	t := time.NewTicker(runrecord.LeaseDuration / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = runrecord.Acquire(ctx, d.cfg.Kube, d.ns(), d.Holder, time.Now())
		}
	}
}

// Apply starts the step's nodes, unless kubectl skew abort asked the run to stop.
func (d *Driver) Apply(ctx context.Context, step *upgrade.Step, _ *upgrade.Outcome) error {
	if cur, err := runrecord.Read(ctx, d.cfg.Kube, d.ns()); err == nil && cur != nil && cur.AbortRequested != "" {
		d.record.AbortRequested = cur.AbortRequested
		return fmt.Errorf("%w: kubectl skew abort at %s; stopped before %s", upgrade.ErrAborted, cur.AbortRequested, stepNodes(step))
	}
	d.record.Hop = step.HopLabel()
	return d.each(step, func(s upgradepath.NodeStep) error { return d.start(ctx, step, s) })
}

// Follow waits until each node of the step is back, then uncordons it.
func (d *Driver) Follow(ctx context.Context, step *upgrade.Step) error {
	return d.each(step, func(s upgradepath.NodeStep) error { return d.finish(ctx, step, s) })
}

// each runs f for the step's nodes at once (agents: up to Concurrency of them) and
// returns the first error; the others finish what they started.
func (d *Driver) each(step *upgrade.Step, f func(upgradepath.NodeStep) error) error {
	nodes := step.Nodes()
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, s := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Next verifies the step just done from a fresh read, then works out the rest of the
// path toward the same target and its next step.
func (d *Driver) Next(ctx context.Context, done *upgrade.Step, path *upgradepath.Path) (*upgradepath.Path, *upgrade.Step, error) {
	var cl *upgrade.Cluster
	var err error
	if done != nil {
		// Verified, with the grace a restart needs (kube-proxy and static pods move a
		// little after their kubelet).
		cl, err = upgrade.Settled(ctx, d.source(), done, d.baseline, d.cfg.Force)
	} else if cl, err = d.source().Read(ctx); err != nil {
		err = fmt.Errorf("read the cluster: %w", err)
	}
	if err != nil {
		return nil, nil, err
	}
	d.cl = cl
	req := upgradepath.Request{Inventory: cl.Inventory, Version: &version.Target{Version: path.Target, Exact: true}, Channels: d.channels,
		Agents: d.cfg.Agents, NodeSelector: d.cfg.NodeSelector, AcceptHazards: d.cfg.AcceptHazards, Releases: d.cfg.Releases}
	next, err := upgradepath.Find(req)
	if err != nil {
		return nil, nil, fmt.Errorf("plan the rest of the upgrade: %w", err)
	}
	return next, d.next(ctx, next), nil
}

// End closes the run record (done, failed or aborted, by how the run ended) and
// frees the Lease, so that status tells the truth and the next run need not wait.
func (d *Driver) End(ctx context.Context, out *upgrade.Outcome, err error) {
	if d.view != nil {
		d.view.Stop()
	}
	if d.stop == nil {
		return // Begin did not run: nothing of ours was written
	}
	d.stop()
	<-d.renewed
	r := d.record
	r.Updated, r.Node, r.NodeState = time.Now().UTC(), "", ""
	switch {
	case errors.Is(err, upgrade.ErrAborted):
		r.State, r.Message = runrecord.StateAborted, err.Error()
	case err != nil:
		r.State, r.Message = runrecord.StateFailed, err.Error()
	case out != nil && out.Complete:
		r.State, r.Message, r.Hop = runrecord.StateDone, "every node runs "+r.Target, ""
		d.uncordonLeftovers(ctx)
	default:
		r.State = runrecord.StateFailed
		r.Message = "stopped before the target"
	}
	_ = runrecord.Write(ctx, d.cfg.Kube, d.ns(), r)
	_ = runrecord.Release(ctx, d.cfg.Kube, d.ns(), d.Holder)
}

// uncordonLeftovers uncordons, once the run reached the target (every node on it and
// Ready), the nodes an earlier run of ours cordoned and never got to uncordon: it was
// killed or interrupted during or after their command (a command stopped by the
// interrupt is recorded failed), and this run skipped them as already on the release.
// The record says whose cordon it was; the operator's stays.
func (d *Driver) uncordonLeftovers(ctx context.Context) {
	r := d.record
	for i := range r.Nodes {
		n := &r.Nodes[i]
		if !n.Cordoned || n.State == runrecord.NodeDone {
			continue
		}
		if err := d.cordon(ctx, n.Name, false); err == nil {
			n.State = runrecord.NodeDone
		}
	}
}

// setNode records the node's state and the run's place in the record.
func (d *Driver) setNode(ctx context.Context, step *upgrade.Step, n runrecord.NodeRecord) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.record
	r.SetNode(n)
	r.Hop, r.Node, r.NodeState, r.Updated = step.HopLabel(), n.Name, n.State, time.Now().UTC()
	return runrecord.Write(ctx, d.cfg.Kube, d.ns(), r)
}

func (d *Driver) emitNode(step *upgrade.Step, s upgradepath.NodeStep, kind upgrade.NodeEventKind, msg string, took time.Duration) {
	if d.cfg.Emit != nil {
		d.cfg.Emit(upgrade.Event{Kind: upgrade.EventNode, Step: step, Node: upgrade.NodeEvent{Kind: kind, Node: s.Name, Role: string(s.Role), From: s.From.String(), To: step.Hop.To.String(), Message: msg, Took: took}})
	}
}

// Changed is closed at the next change the run's watches see; nil for a run
// that does not wait. The engine's gates wait on it (upgrade.Watching).
func (d *Driver) Changed() <-chan struct{} {
	if d.view == nil {
		return nil
	}
	return d.view.Changed()
}

// source is where the run reads the cluster: its View, or the apiserver.
func (d *Driver) source() upgrade.Source {
	if d.view != nil {
		return d.view
	}
	return upgrade.Polled(d.cfg.Kube)
}

func (d *Driver) leases(ctx context.Context, cl *upgrade.Cluster) map[string]time.Time {
	if d.view != nil {
		return d.view.Leases(cl.Inventory)
	}
	return upgrade.ServerLeases(ctx, d.cfg.Kube, cl.Inventory)
}

func stepNodes(step *upgrade.Step) string {
	out := ""
	for i, s := range step.Nodes() {
		if i > 0 {
			out += ", "
		}
		out += s.Name
	}
	return out
}
