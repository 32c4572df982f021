package viacommand

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubectl/pkg/drain"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// NodeError stops a run at a node: its command failed or it did not come back. The
// node stays cordoned and no other node starts.
type NodeError struct {
	Node   string
	Status int // the command's exit status; -1 when the command is not the cause
	Log    string
	Tail   string
	Why    string
}

func (e *NodeError) Error() string {
	msg := fmt.Sprintf("node %s: %s", e.Node, e.Why)
	if e.Log != "" {
		msg += "; log " + e.Log
	}
	if e.Tail != "" {
		msg += "; last lines: " + e.Tail
	}
	return msg + "; the node stays cordoned and no other node was started"
}

// start moves one node up to where the node itself takes over: cordon, drain, then
// the operator's command (or, in manual mode, the instructions for the operator).
func (d *Driver) start(ctx context.Context, step *upgrade.Step, s upgradepath.NodeStep) error {
	raw := d.raw(s.Name)
	rec := runrecord.NodeRecord{Name: s.Name, Role: string(s.Role), From: s.From.String(), To: step.Hop.To.String(), State: runrecord.NodeCordoned, Started: time.Now().UTC()}
	if prev, ok := d.nodeRecord(s.Name, rec.To); ok {
		rec.Cordoned = prev.Cordoned // a resumed node: we cordoned it in an earlier run
	}
	if raw != nil && !raw.Spec.Unschedulable {
		// The record first: a run killed between the two still says whose cordon it is
		// (uncordoning a node the cordon never reached is harmless).
		rec.Cordoned = true
		if err := d.setNode(ctx, step, rec); err != nil {
			return err
		}
		if err := d.cordon(ctx, s.Name, true); err != nil {
			return err
		}
	}
	d.emitNode(step, s, upgrade.NodeStarted, "", 0)
	if err := d.setNode(ctx, step, rec); err != nil {
		return err
	}
	logPath, log, err := d.openLog(s.Name)
	if err != nil {
		return err
	}
	defer log.Close()
	rec.Log = logPath
	last := &tail{keep: 8}
	out := io.MultiWriter(log, last)
	if d.Drain != nil {
		rec.State = runrecord.NodeDraining
		if err := d.setNode(ctx, step, rec); err != nil {
			return err
		}
		if err := d.drain(ctx, s.Name, out); err != nil {
			return d.fail(ctx, step, rec, &NodeError{Node: s.Name, Status: -1, Log: logPath, Tail: last.String(), Why: "drain: " + err.Error()})
		}
	}
	if d.Mode == Manual {
		rec.State = runrecord.NodeManual
		d.instruct(step, s, raw)
		return d.setNode(ctx, step, rec)
	}
	rec.State = runrecord.NodeCommand
	if err := d.setNode(ctx, step, rec); err != nil {
		return err
	}
	fmt.Fprintf(out, "# kubectl skew: %s, %s\n", nodeLine(s, step.Hop.To), time.Now().UTC().Format(time.RFC3339))
	status, err := d.runner()(ctx, d.Command, commandEnv(raw, s, d.distro, step.Hop.To, step.Index), out)
	d.mu.Lock()
	d.ended[s.Name] = time.Now()
	d.mu.Unlock()
	switch {
	case err != nil:
		return d.fail(ctx, step, rec, &NodeError{Node: s.Name, Status: -1, Log: logPath, Tail: last.String(), Why: err.Error()})
	case status != 0:
		return d.fail(ctx, step, rec, &NodeError{Node: s.Name, Status: status, Log: logPath, Tail: last.String(), Why: fmt.Sprintf("the command exited with status %d", status)})
	}
	rec.State = runrecord.NodeWaiting
	return d.setNode(ctx, step, rec)
}

// finish waits until the node is back on the hop's release (for a server: Ready
// with a heartbeat after its command, and its static control-plane pods on the
// release), then uncordons it if the run cordoned it.
func (d *Driver) finish(ctx context.Context, step *upgrade.Step, s upgradepath.NodeStep) error {
	began := time.Now()
	rec, _ := d.nodeRecord(s.Name, step.Hop.To.String())
	limit := d.cfg.NodeTimeout
	if limit <= 0 {
		limit = upgrade.DefaultNodeTimeout
	}
	deadline := time.Now().Add(limit)
	for {
		changed := d.Changed()
		missing, err := d.back(ctx, step, s)
		if err != nil {
			return err
		}
		if missing == "" {
			break
		}
		// The operator upgrades a node in manual mode as fast as they can: the
		// timeout starts once the node reports the release.
		if time.Now().After(deadline) && (d.Mode != Manual || rec.State != runrecord.NodeManual) {
			return d.fail(ctx, step, rec, &NodeError{Node: s.Name, Status: -1, Log: rec.Log, Why: fmt.Sprintf("not back within %s: %s", limit, missing)})
		}
		if d.Mode == Manual && rec.State == runrecord.NodeManual && missing != notYetOn {
			rec.State, deadline = runrecord.NodeWaiting, time.Now().Add(limit)
			if err := d.setNode(ctx, step, rec); err != nil {
				return err
			}
		}
		// Watched: judged again at each change, and at the deadline; else every gatePoll.
		wait := gatePoll
		if changed != nil {
			wait = min(max(time.Until(deadline), 0)+10*time.Millisecond, gateResync)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
	if rec.Cordoned {
		if err := d.cordon(ctx, s.Name, false); err != nil {
			return err
		}
	}
	rec.State = runrecord.NodeDone
	d.emitNode(step, s, upgrade.NodeFinished, "", time.Since(began))
	return d.setNode(ctx, step, rec)
}

// gatePoll is how often finish reads the node when no watch runs (a run without
// --wait); gateResync how often it looks again at a watched one with nothing
// changed.
var (
	gatePoll   = time.Second
	gateResync = 30 * time.Second
)

const notYetOn = "its kubelet does not report the release yet"

// back says what is missing before s counts as back, "" when it is.
func (d *Driver) back(ctx context.Context, step *upgrade.Step, s upgradepath.NodeStep) (string, error) {
	cl, leases, err := d.observe(ctx)
	if err != nil {
		return "", err
	}
	n := node(cl.Inventory, s.Name)
	switch {
	case n == nil:
		return "the node is gone from the cluster", nil
	case !on(n, step.Hop.To):
		return notYetOn, nil
	case !s.Role.IsServer():
		if !n.Ready {
			return "it is not Ready", nil
		}
		return "", nil
	}
	d.mu.Lock()
	ended := d.ended[s.Name]
	d.mu.Unlock()
	return upgrade.ServerBack(cl.Inventory, s.Name, step.Hop.To, ended, leases[s.Name]), nil
}

// observation is the cluster and its servers' Leases as last read: the nodes of a
// step wait together, and share one read per change (per poll, unwatched) rather
// than each read it.
type observation struct {
	mu     sync.Mutex
	at     time.Time
	cl     *upgrade.Cluster
	leases map[string]time.Time
	// changed is the View's signal when it was read: open, nothing changed since.
	changed <-chan struct{}
}

// observe is the cluster as the run's View holds it (read again only after a
// change), or, unwatched, as read at most half a poll ago.
func (d *Driver) observe(ctx context.Context) (*upgrade.Cluster, map[string]time.Time, error) {
	o := &d.seen
	o.mu.Lock()
	defer o.mu.Unlock()
	if v := d.view; v != nil {
		if o.cl != nil && o.changed != nil && !isClosed(o.changed) {
			return o.cl, o.leases, nil
		}
		o.changed = v.Changed()
		cl, _ := v.Read(ctx)
		o.cl, o.leases, o.at = cl, v.Leases(cl.Inventory), time.Now()
		return o.cl, o.leases, nil
	}
	if o.cl != nil && time.Since(o.at) < gatePoll/2 {
		return o.cl, o.leases, nil
	}
	cl, err := upgrade.ReadCluster(ctx, d.cfg.Kube)
	if err != nil {
		return nil, nil, fmt.Errorf("read the cluster: %w", err)
	}
	o.cl, o.leases, o.at = cl, upgrade.ServerLeases(ctx, d.cfg.Kube, cl.Inventory), time.Now()
	return o.cl, o.leases, nil
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func (d *Driver) fail(ctx context.Context, step *upgrade.Step, rec runrecord.NodeRecord, e *NodeError) error {
	rec.State, rec.Message = runrecord.NodeFailed, e.Why
	d.emitNode(step, upgradepath.NodeStep{Name: e.Node, Role: cluster.Role(rec.Role), From: step.Hop.From}, upgrade.NodeFailed, e.Why, 0)
	if err := d.setNode(ctx, step, rec); err != nil {
		return fmt.Errorf("%w (and the run record: %v)", e, err)
	}
	return e
}

// cordon marks the node unschedulable (on) or schedulable again, as our field manager.
func (d *Driver) cordon(ctx context.Context, name string, on bool) error {
	patch := fmt.Sprintf(`{"spec":{"unschedulable":%t}}`, on)
	if _, err := d.cfg.Kube.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: runrecord.FieldManager}); err != nil {
		what := "cordon"
		if !on {
			what = "uncordon"
		}
		return fmt.Errorf("%s %s: %w", what, name, err)
	}
	return nil
}

// drain evicts the node's pods with kubectl's own drain and the settings the SUC
// Plans carry (daemon sets ignored, emptyDir data deleted).
func (d *Driver) drain(ctx context.Context, name string, out io.Writer) error {
	h := &drain.Helper{
		Ctx: ctx, Client: d.cfg.Kube, Force: d.Drain.Force, GracePeriodSeconds: int(d.Drain.GracePeriod),
		IgnoreAllDaemonSets: true, DeleteEmptyDirData: true, Timeout: d.Drain.Timeout, PodSelector: d.Drain.PodSelector,
		DisableEviction: d.Drain.DisableEviction, SkipWaitForDeleteTimeoutSeconds: d.Drain.SkipWaitForDeleteTimeout,
		Out: out, ErrOut: out,
	}
	return drain.RunNodeDrain(h, name)
}

// openLog opens the node's log, appending: a re-run adds to the same file.
func (d *Driver) openLog(name string) (string, *os.File, error) {
	if err := os.MkdirAll(d.LogDir, 0o750); err != nil {
		return "", nil, fmt.Errorf("create the log directory %s: %w", d.LogDir, err)
	}
	path := filepath.Join(d.LogDir, logName(name))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return "", nil, fmt.Errorf("open the log of node %s: %w", name, err)
	}
	return path, f, nil
}

// logName is a file name for node: node names are DNS subdomains, but a name the
// cluster controls never becomes a path outside the log directory.
func logName(node string) string {
	out := make([]rune, 0, len(node))
	for _, r := range node {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			out = append(out, r)
		} else {
			out = append(out, '_')
		}
	}
	name := string(out)
	if name == "" || name == "." || name == ".." {
		name = "node"
	}
	return name + ".log"
}

func (d *Driver) raw(name string) *corev1.Node {
	for i := range d.cl.Nodes {
		if d.cl.Nodes[i].Name == name {
			return &d.cl.Nodes[i]
		}
	}
	return nil
}

// nodeRecord is what the record says of node's move to `to`; the agents of a step
// move at once, so the record is read under the lock.
func (d *Driver) nodeRecord(name, to string) (runrecord.NodeRecord, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.record.NodeOf(name, to)
}
