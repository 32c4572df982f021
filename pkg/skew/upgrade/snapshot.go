package upgrade

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/changes"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// snapshotTarget picks the server the snapshot is taken on: the first etcd member
// by name among the hop's servers, else among all nodes.
func snapshotTarget(cl *Cluster, step *Step) (upgradepath.NodeStep, version.Version, error) {
	etcd := map[string]bool{}
	for i := range cl.Nodes {
		if cl.Nodes[i].Labels[cluster.LabelEtcd] == "true" {
			etcd[cl.Nodes[i].Name] = true
		}
	}
	candidates := append([]upgradepath.NodeStep(nil), step.Hop.Servers...)
	sort.Slice(candidates, func(i, j int) bool { return candidates[i].Name < candidates[j].Name })
	for _, s := range candidates {
		if etcd[s.Name] {
			return s, s.From, nil
		}
	}
	for _, n := range cl.Inventory.Nodes {
		if etcd[n.Name] && n.Kubelet != nil {
			return upgradepath.NodeStep{Name: n.Name, Role: n.Role, Hostname: n.Hostname, From: *n.Kubelet}, *n.Kubelet, nil
		}
	}
	return upgradepath.NodeStep{}, version.Version{}, errors.New("--snapshot: no node has the etcd role, so the datastore is SQLite or external; back it up by its own means and run without --snapshot")
}

// takeSnapshot runs the snapshot Plan on one server and waits for its Job.
func (d *sucDriver) takeSnapshot(ctx context.Context, cl *Cluster, step *Step) (suc.Record, error) {
	node, current, err := snapshotTarget(cl, step)
	if err != nil {
		return suc.Record{}, err
	}
	name := suc.SnapshotName(current)
	plan := suc.SnapshotPlan(cl.Inventory.Distro, node, current, name, d.cfg.Plans)
	rec := suc.Record{Snapshot: name, SnapshotNode: node.Name}
	d.cfg.emit(Event{Kind: EventSnapshot, Step: step, Message: fmt.Sprintf("taking etcd snapshot %q on %s (Plan %s)", name, node.Name, plan.Name)})
	if _, err := d.cfg.plans().Apply(ctx, []*upgradev1.Plan{plan}, suc.ApplyOptions{}); err != nil {
		return rec, err
	}
	w, err := d.watch(ctx, nil)
	if err != nil {
		return rec, err
	}
	spec := phaseSpec{Plan: plan.Name, Role: suc.RoleSnapshot, To: current, Nodes: []upgradepath.NodeStep{node}, ByJob: true, StallAfter: d.cfg.StallAfter}
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
	d.cfg.emit(Event{Kind: EventSnapshotDone, Step: step, Message: msg})
	return rec, nil
}

// findSnapshot looks for the record K3s/RKE2 writes for a new snapshot; it may lag
// the Job by a few seconds, and clusters before v1.27 write none.
func (d *sucDriver) findSnapshot(ctx context.Context, name string) *etcdsnapshot.Snapshot {
	if ok, err := etcdsnapshot.Served(d.cfg.Discovery); err != nil || !ok {
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := changes.Watch(wctx, func(ctx context.Context) (watch.Interface, error) {
		return d.cfg.Dynamic.Resource(etcdsnapshot.Resource).Watch(ctx, metav1.ListOptions{})
	})
	var found *etcdsnapshot.Snapshot
	_, _ = changes.Until(wctx, wake, snapshotRecordLag, time.Now().Add(snapshotRecordLag), func() (string, error) {
		snaps, err := etcdsnapshot.List(ctx, d.cfg.Dynamic)
		if err != nil {
			return "", err
		}
		if found = etcdsnapshot.Find(snaps, name); found == nil {
			return "the snapshot's record", nil
		}
		return "", nil
	})
	return found
}

// snapshotRecordLag bounds the wait for a snapshot's record after its Job.
const snapshotRecordLag = 10 * time.Second

// plannedSnapshot names the snapshot Snapshot will take, for the checks and the Plans.
func plannedSnapshot(cl *Cluster, path *upgradepath.Path) suc.Record {
	for _, h := range path.Hops {
		if len(h.Servers) == 0 {
			continue
		}
		node, cur, err := snapshotTarget(cl, &Step{Hop: h})
		if err != nil {
			return suc.Record{}
		}
		return suc.Record{Snapshot: suc.SnapshotName(cur), SnapshotNode: node.Name}
	}
	return suc.Record{}
}

// Snapshot takes an etcd snapshot through the system-upgrade-controller on the first
// etcd server, as --snapshot does before a first hop, outside an upgrade of ours:
// for a cluster whose version Rancher drives (an imported cluster), which takes
// no snapshot itself.
func Snapshot(ctx context.Context, cfg Config) (suc.Record, error) {
	cl, err := ReadCluster(ctx, cfg.Kube)
	if err != nil {
		return suc.Record{}, err
	}
	d := &sucDriver{cfg: &cfg, applied: map[string]bool{}}
	defer d.close()
	return d.takeSnapshot(ctx, cl, &Step{})
}
