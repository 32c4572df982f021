package upgrade

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Driver walks a path through SUC: it applies a step's Plans and, with Wait,
// follows them, verifies the hop and applies the next step until the target.
type Driver struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// WatchKube and WatchDynamic carry no request timeout: watches last long.
	WatchKube    kubernetes.Interface
	WatchDynamic dynamic.Interface

	Config PlanConfig
	// Request re-plans from the cluster after every phase. Its target must be pinned
	// (an exact Version): a channel may move while the upgrade runs.
	Request Request

	Wait        bool
	RetryFailed bool
	// Force goes on when a hop leaves new skew errors behind.
	Force bool
	// Snapshot takes an etcd snapshot before the first server Plan this run applies.
	Snapshot bool
	// DryRun applies with DryRun=All and stops after the first step.
	DryRun bool
	// StallAfter is passed to Follow; 0 is its default.
	StallAfter time.Duration

	Emit func(Event)

	watcher *Watcher
	tally   tally
}

// EventKind says what an Event reports.
type EventKind string

const (
	EventRetry        EventKind = "retry"
	EventSnapshot     EventKind = "snapshot"
	EventSnapshotDone EventKind = "snapshot-done"
	EventPruned       EventKind = "pruned"
	EventApplied      EventKind = "applied"
	EventPhase        EventKind = "phase"
	EventNode         EventKind = "node"
	EventPhaseDone    EventKind = "phase-done"
)

// Event is one thing the driver did or saw, for the command to print.
type Event struct {
	Kind     EventKind
	Step     *Step
	Applied  []Applied
	Node     NodeEvent
	Message  string
	Progress Progress
}

// Progress counts node upgrades over the whole run.
type Progress struct {
	Done, Total int
	// ETA is the estimated time left; 0 when nothing has finished yet to go by.
	ETA time.Duration
}

// Outcome is where a run stopped.
type Outcome struct {
	// Last is the last step applied; nil when nothing was to do.
	Last *Step
	// Complete is true when every node runs the target (Wait only).
	Complete bool
	// Snapshot names the snapshot taken or found, if any.
	Snapshot Record
	// Elapsed per completed phase, for the summary.
	Phases []PhaseTime
}

// PhaseTime is how long one phase took.
type PhaseTime struct {
	Hop   string
	Phase Phase
	To    string
	Nodes int
	Took  time.Duration
}

func (d *Driver) emit(e Event) {
	if d.Emit != nil {
		d.Emit(e)
	}
}

func (d *Driver) plans() *Plans { return &Plans{Dynamic: d.Dynamic, Namespace: d.Config.Namespace} }

// Close stops the watches.
func (d *Driver) Close() {
	if d.watcher != nil {
		d.watcher.Stop()
	}
}

func (d *Driver) watch(ctx context.Context) (*Watcher, error) {
	if d.watcher != nil {
		return d.watcher, nil
	}
	kube, dyn := d.WatchKube, d.WatchDynamic
	if kube == nil {
		kube = d.Kube
	}
	if dyn == nil {
		dyn = d.Dynamic
	}
	w, err := StartWatcher(ctx, kube, dyn, d.Config.Namespace)
	if err != nil {
		return nil, err
	}
	d.watcher = w
	return w, nil
}

// Run applies step (the first step of path on cluster cl) and, with Wait, goes on
// to the end. Nothing is written before the caller's preflight passed.
func (d *Driver) Run(ctx context.Context, cl *Cluster, path *Path, step *Step) (*Outcome, error) {
	out := &Outcome{Snapshot: Record{Snapshot: step.Record.Snapshot, SnapshotNode: step.Record.SnapshotNode}}
	d.tally = newTally(path, step, d.Config)
	baseline := errorKeys(cl.Inventory)
	if d.RetryFailed && !d.DryRun {
		if err := d.retryFailed(ctx); err != nil {
			return out, err
		}
	}
	snapshotDone := false
	for {
		if d.Snapshot && !snapshotDone && step.Phase == PhaseServers && !step.Resumed {
			rec, err := d.takeSnapshot(ctx, cl, step)
			if err != nil {
				return out, err
			}
			snapshotDone = true
			out.Snapshot = rec
			ours, err := d.plans().Ours(ctx)
			if err != nil {
				return out, fmt.Errorf("list our plans: %w", err)
			}
			if step, err = NextStep(cl.Inventory, path, ours, d.Config, rec); err != nil {
				return out, err
			}
		}
		for _, name := range step.Prune {
			if err := d.plans().Delete(ctx, name, d.DryRun); err != nil {
				return out, err
			}
			d.emit(Event{Kind: EventPruned, Step: step, Message: name})
		}
		applied, err := d.plans().Apply(ctx, step.Plans, ApplyOptions{DryRun: d.DryRun})
		if err != nil {
			return out, err
		}
		out.Last = step
		d.emit(Event{Kind: EventApplied, Step: step, Applied: applied})
		if !d.Wait || d.DryRun {
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
		req := d.Request
		req.Inventory = cl.Inventory
		next, err := PlanPath(req)
		if err != nil {
			return out, fmt.Errorf("plan the rest after %s: %w", step.HopLabel(), err)
		}
		ours, err := d.plans().Ours(ctx)
		if err != nil {
			return out, fmt.Errorf("list our plans: %w", err)
		}
		prev := step
		if step, err = NextStep(cl.Inventory, next, ours, d.Config, out.Snapshot); err != nil {
			return out, err
		}
		d.emit(Event{Kind: EventPhaseDone, Step: prev, Progress: d.tally.progress(), Message: phaseDoneLine(prev, step)})
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

func stepNames(steps []NodeStep) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Name
	}
	return sample(names, 5)
}

// follow waits for one phase, reporting each node and the run's progress.
func (d *Driver) follow(ctx context.Context, step *Step) error {
	w, err := d.watch(ctx)
	if err != nil {
		return err
	}
	role := RoleServer
	if step.Phase == PhaseAgents {
		role = RoleAgent
	}
	d.emit(Event{Kind: EventPhase, Step: step, Progress: d.tally.progress()})
	spec := PhaseSpec{Plan: step.Plans[0].Name, Role: role, To: step.Hop.To, Nodes: step.Nodes(), StallAfter: d.StallAfter}
	return w.Follow(ctx, spec, func(ev NodeEvent) {
		d.tally.observe(ev, step.Phase)
		d.emit(Event{Kind: EventNode, Step: step, Node: ev, Progress: d.tally.progress()})
	})
}

// VerifyGrace is how long a finished phase may take to look right: static
// control-plane and kube-proxy pods (RKE2, kubeadm) restart with the new images a
// little after their node's kubelet.
var VerifyGrace = 30 * time.Second

// settledCluster reads the cluster after a phase until it verifies, for up to
// VerifyGrace; the last verification error stands after that.
func (d *Driver) settledCluster(ctx context.Context, step *Step, baseline map[string]bool) (*Cluster, error) {
	deadline := time.Now().Add(VerifyGrace)
	for {
		cl, err := ReadCluster(ctx, d.Kube)
		if err != nil {
			return nil, fmt.Errorf("read the cluster after %s %s: %w", step.HopLabel(), step.Phase, err)
		}
		verr := d.verify(cl, step, baseline)
		if verr == nil || time.Now().After(deadline) {
			return cl, verr
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}

// verify checks, from a fresh read, that every node of the phase runs its version
// and that the phase left no skew error the cluster did not have before the run.
func (d *Driver) verify(cl *Cluster, step *Step, baseline map[string]bool) error {
	byName := map[string]*cluster.Node{}
	for i := range cl.Inventory.Nodes {
		byName[cl.Inventory.Nodes[i].Name] = &cl.Inventory.Nodes[i]
	}
	var behind []string
	for _, s := range step.Nodes() {
		n := byName[s.Name]
		if n == nil {
			continue // a node removed during the upgrade has nothing left to verify
		}
		if n.Kubelet == nil || n.Kubelet.Compare(step.Hop.To) < 0 {
			behind = append(behind, fmt.Sprintf("%s (%s)", s.Name, n.KubeletVersion))
		}
	}
	if len(behind) > 0 {
		return fmt.Errorf("after %s %s, nodes do not run %s: %s; run kubectl skew status", step.HopLabel(), step.Phase, step.Hop.To, sample(behind, 5))
	}
	var fresh []policy.Finding
	for _, f := range policy.Evaluate(cl.Inventory, policy.Options{}) {
		if f.Severity == policy.Error && !baseline[f.ID+" "+f.Subject] {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) == 0 || d.Force {
		return nil
	}
	var lines []string
	for _, f := range fresh {
		lines = append(lines, fmt.Sprintf("%s %s: %s", f.ID, f.Subject, f.Message))
	}
	return fmt.Errorf("after %s %s the cluster breaks skew rules it did not break before: %s; stopped before the next step (kubectl skew check says how to fix; --force goes on regardless)",
		step.HopLabel(), step.Phase, strings.Join(lines, "; "))
}

func errorKeys(inv *cluster.Inventory) map[string]bool {
	out := map[string]bool{}
	for _, f := range policy.Evaluate(inv, policy.Options{}) {
		if f.Severity == policy.Error {
			out[f.ID+" "+f.Subject] = true
		}
	}
	return out
}

// retryFailed deletes the failed Jobs of our Plans, then touches those Plans so the
// controller creates fresh Jobs instead of waiting out the failed one's TTL.
func (d *Driver) retryFailed(ctx context.Context) error {
	ns := d.Config.Namespace
	jobs, err := d.Kube.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: OwnedSelector})
	if err != nil {
		return fmt.Errorf("list jobs in %s: %w", ns, err)
	}
	failed := FailedJobs(jobs.Items)
	touched := map[string]bool{}
	bg := metav1.DeletePropagationBackground
	for _, f := range failed {
		err := d.Kube.BatchV1().Jobs(ns).Delete(ctx, f.Job, metav1.DeleteOptions{PropagationPolicy: &bg})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("delete failed job %s/%s: %w", ns, f.Job, err)
		}
		d.emit(Event{Kind: EventRetry, Message: fmt.Sprintf("deleted failed Job %s (node %s) so that the controller runs it again", f.Job, f.Node)})
		touched[f.Plan] = true
	}
	names := make([]string, 0, len(touched))
	for n := range touched {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := d.plans().Touch(ctx, n, "kubectl-skew.io/retried-at", time.Now().UTC().Format(time.RFC3339)); err != nil {
			return err
		}
	}
	return nil
}

// SnapshotTarget picks the server the snapshot is taken on: the first etcd member
// by name among the hop's servers, else among all nodes.
func SnapshotTarget(cl *Cluster, step *Step) (NodeStep, version.Version, error) {
	etcd := map[string]bool{}
	for i := range cl.Nodes {
		if cl.Nodes[i].Labels[cluster.LabelEtcd] == "true" {
			etcd[cl.Nodes[i].Name] = true
		}
	}
	candidates := append([]NodeStep(nil), step.Hop.Servers...)
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].Name < candidates[j].Name })
	for _, s := range candidates {
		if etcd[s.Name] {
			return s, s.From, nil
		}
	}
	for _, n := range cl.Inventory.Nodes {
		if etcd[n.Name] && n.Kubelet != nil {
			return NodeStep{Name: n.Name, Role: n.Role, Hostname: n.Hostname, From: *n.Kubelet}, *n.Kubelet, nil
		}
	}
	return NodeStep{}, version.Version{}, errors.New("--snapshot: no node has the etcd role, so the datastore is SQLite or external; back it up by its own means and run without --snapshot")
}

// takeSnapshot runs the snapshot Plan on one server and waits for its Job.
func (d *Driver) takeSnapshot(ctx context.Context, cl *Cluster, step *Step) (Record, error) {
	node, current, err := SnapshotTarget(cl, step)
	if err != nil {
		return Record{}, err
	}
	name := SnapshotName(current)
	plan := SnapshotPlan(cl.Inventory.Distro, node, current, name, d.Config)
	rec := Record{Snapshot: name, SnapshotNode: node.Name}
	d.emit(Event{Kind: EventSnapshot, Step: step, Message: fmt.Sprintf("taking etcd snapshot %q on %s (Plan %s)", name, node.Name, plan.Name)})
	if _, err := d.plans().Apply(ctx, []*upgradev1.Plan{plan}, ApplyOptions{}); err != nil {
		return rec, err
	}
	w, err := d.watch(ctx)
	if err != nil {
		return rec, err
	}
	spec := PhaseSpec{Plan: plan.Name, Role: RoleSnapshot, To: current, Nodes: []NodeStep{node}, ByJob: true, StallAfter: d.StallAfter}
	if err := w.Follow(ctx, spec, func(NodeEvent) {}); err != nil {
		var jf *JobFailedError
		if errors.As(err, &jf) {
			return rec, fmt.Errorf("the etcd snapshot failed, so nothing was upgraded: Job %s on node %s: %s; fix it, or run without --snapshot after taking one by hand", jf.Job, jf.Node, jf.Message)
		}
		return rec, err
	}
	msg := fmt.Sprintf("etcd snapshot %q taken on %s", name, node.Name)
	if s := d.findSnapshot(ctx, name); s != nil {
		msg = fmt.Sprintf("etcd snapshot %q taken on %s: %s", s.Name, s.Node, s.Location)
		rec.Snapshot = s.Name
	}
	d.emit(Event{Kind: EventSnapshotDone, Step: step, Message: msg})
	return rec, nil
}

// findSnapshot looks for the record K3s/RKE2 writes for a new snapshot; it may lag
// the Job by a few seconds, and clusters before v1.27 write none.
func (d *Driver) findSnapshot(ctx context.Context, name string) *Snapshot {
	if ok, err := SnapshotsServed(d.Discovery); err != nil || !ok {
		return nil
	}
	for i := 0; i < 10; i++ {
		snaps, err := ListSnapshots(ctx, d.Dynamic)
		if err != nil {
			return nil
		}
		if s := FindSnapshot(snaps, name); s != nil {
			return s
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
	return nil
}

// tally counts node upgrades over the run and estimates the time left from the
// average Job duration, the concurrency of each role and the nodes left.
type tally struct {
	done                    int
	serversLeft, agentsLeft int
	sum                     time.Duration
	finished                int
	serverConc, agentConc   int64
}

func newTally(p *Path, first *Step, cfg PlanConfig) tally {
	t := tally{serverConc: cfg.ServerConcurrency, agentConc: cfg.AgentConcurrency}
	t.count(p, first)
	return t
}

// count sets what is left: the path's hops, plus the agents of a step NextStep put
// in front of them (the agents of a hop whose servers are done).
func (t *tally) count(p *Path, first *Step) {
	t.serversLeft, t.agentsLeft = 0, 0
	for _, h := range p.Hops {
		t.serversLeft += len(h.Servers)
		t.agentsLeft += len(h.Agents)
	}
	if first == nil || first.Phase != PhaseAgents {
		return
	}
	// The step stands in for the path's first hop when both go to one version (the
	// planner's catch-up hop may name fewer agents than the step moves).
	if len(p.Hops) > 0 && p.Hops[0].To.Equal(first.Hop.To) {
		t.agentsLeft -= len(p.Hops[0].Agents)
	}
	t.agentsLeft += len(first.Hop.Agents)
}

func (t *tally) observe(ev NodeEvent, phase Phase) {
	if ev.Kind != NodeFinished && ev.Kind != NodeAlready {
		return
	}
	t.done++
	if phase == PhaseServers && t.serversLeft > 0 {
		t.serversLeft--
	} else if phase == PhaseAgents && t.agentsLeft > 0 {
		t.agentsLeft--
	}
	if ev.Kind == NodeFinished {
		t.sum += ev.Took
		t.finished++
	}
}

func (t *tally) progress() Progress {
	p := Progress{Done: t.done, Total: t.done + t.serversLeft + t.agentsLeft}
	if t.finished > 0 {
		avg := t.sum / time.Duration(t.finished)
		p.ETA = avg*time.Duration(ceilDiv(t.serversLeft, t.serverConc)) + avg*time.Duration(ceilDiv(t.agentsLeft, t.agentConc))
	}
	return p
}

func ceilDiv(n int, c int64) int {
	if c < 1 {
		c = 1
	}
	return int((int64(n) + c - 1) / c)
}
