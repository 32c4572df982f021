package ranchersim

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// Fault annotations on a provisioning Cluster.
const (
	// FailAt: the move to this version fails after its first node, with Ready=False,
	// reason Error, until the annotation is removed.
	FailAt = "ranchersim.kubectl-skew.io/fail-at"
	// SnapshotFail: the next snapshot ends in phase Failed.
	SnapshotFail = "ranchersim.kubectl-skew.io/snapshot-fail"
)

// Event is one node moving to a version.
type Event struct {
	Time     time.Time
	Cluster  string
	Machine  string
	Roles    string
	From, To string
	Restore  bool
}

// Simulator is the running Rancher simulator.
type Simulator struct {
	dyn  dynamic.Interface
	step time.Duration

	mu     sync.Mutex
	ops    map[string]*op
	events []Event
	// imported clusters: Rancher's upgrader at work, the last spec version seen, and
	// every version set.
	imported    map[string]*importedOp
	lastVersion map[string]string
	versions    []VersionSet
	// downUntil: a restart in progress; no reconcile runs before it.
	downUntil time.Time
}

type op struct {
	kind    string // snapshot, restore, upgrade
	gen     int64
	phase   int
	version string
	last    time.Time
	// announced are the nodes the control plane's message names, moved at the next step.
	announced []string
}

// New returns a simulator that takes step for each node and each phase.
func New(dyn dynamic.Interface, step time.Duration) *Simulator {
	if step <= 0 {
		step = 200 * time.Millisecond
	}
	return &Simulator{dyn: dyn, step: step, ops: map[string]*op{}, imported: map[string]*importedOp{}, lastVersion: map[string]string{}}
}

// Events are the node moves so far, in order.
func (s *Simulator) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Run plays Rancher until ctx ends.
func (s *Simulator) Run(ctx context.Context) {
	tick := time.NewTicker(s.step / 4)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		down := time.Now().Before(s.downUntil)
		s.mu.Unlock()
		if down {
			continue
		}
		l, err := s.dyn.Resource(rancher.ClusterResource).Namespace("").List(ctx, metav1.ListOptions{})
		if err != nil {
			continue
		}
		for i := range l.Items {
			s.reconcile(ctx, &l.Items[i])
		}
		if m, err := s.dyn.Resource(rancher.ManagementClusterResource).List(ctx, metav1.ListOptions{}); err == nil {
			for i := range m.Items {
				s.reconcileImported(ctx, &m.Items[i])
			}
		}
	}
}

// world is one cluster's objects, read fresh each tick.
type world struct {
	cl, cp   *unstructured.Unstructured
	machines []*unstructured.Unstructured
}

func (s *Simulator) read(ctx context.Context, cl *unstructured.Unstructured) (*world, error) {
	ns, name := cl.GetNamespace(), cl.GetName()
	cp, err := s.dyn.Resource(rancher.ControlPlaneResource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	ml, err := s.dyn.Resource(rancher.MachineResource).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: rancher.LabelMachineCluster + "=" + name})
	if err != nil {
		return nil, err
	}
	w := &world{cl: cl, cp: cp}
	for i := range ml.Items {
		w.machines = append(w.machines, &ml.Items[i])
	}
	sort.Slice(w.machines, func(i, j int) bool {
		a, b := rank(w.machines[i]), rank(w.machines[j])
		if a != b {
			return a < b
		}
		return w.machines[i].GetName() < w.machines[j].GetName()
	})
	return w, nil
}

// rank orders nodes as Rancher's planner does: etcd, control plane, workers.
func rank(m *unstructured.Unstructured) int {
	l := m.GetLabels()
	switch {
	case l[rancher.LabelEtcdRole] == "true":
		return 0
	case l[rancher.LabelControlPlane] == "true":
		return 1
	}
	return 2
}

func (s *Simulator) reconcile(ctx context.Context, cl *unstructured.Unstructured) {
	key := cl.GetNamespace() + "/" + cl.GetName()
	w, err := s.read(ctx, cl)
	if err != nil {
		return
	}
	s.mu.Lock()
	o := s.ops[key]
	s.mu.Unlock()
	if o == nil {
		o = s.start(ctx, w)
		if o == nil {
			return
		}
		s.mu.Lock()
		s.ops[key] = o
		s.mu.Unlock()
		return
	}
	if time.Since(o.last) < s.step {
		return
	}
	var done bool
	switch o.kind {
	case "snapshot":
		done = s.snapshotStep(ctx, w, o)
	case "restore":
		done = s.restoreStep(ctx, w, o)
	default:
		done = s.upgradeStep(ctx, w, o)
	}
	o.last = time.Now()
	if done {
		s.mu.Lock()
		delete(s.ops, key)
		s.mu.Unlock()
	}
}

// start notices a request: a snapshot, a restore, or a version that is not applied.
func (s *Simulator) start(ctx context.Context, w *world) *op {
	spec, status := w.cl.Object, w.cp.Object
	now := time.Now()
	if gen := num(spec, "spec", "rkeConfig", "etcdSnapshotCreate", "generation"); gen > num(status, "status", "etcdSnapshotCreate", "generation") {
		s.setStatus(ctx, w.cp, map[string]any{"etcdSnapshotCreate": map[string]any{"generation": gen}, "etcdSnapshotCreatePhase": "Started"})
		return &op{kind: "snapshot", gen: gen, last: now}
	}
	if gen := num(spec, "spec", "rkeConfig", "etcdSnapshotRestore", "generation"); gen > num(status, "status", "etcdSnapshotRestore", "generation") {
		r, _, _ := unstructured.NestedMap(spec, "spec", "rkeConfig", "etcdSnapshotRestore")
		s.setStatus(ctx, w.cp, map[string]any{"etcdSnapshotRestore": r, "etcdSnapshotRestorePhase": "Started"})
		s.setReady(ctx, w, "Unknown", "Waiting", "restoring etcd snapshot "+fmt.Sprint(r["name"]))
		return &op{kind: "restore", gen: gen, last: now}
	}
	v := str(spec, "spec", "kubernetesVersion")
	if v != "" && v != str(status, "status", "appliedSpec", "kubernetesVersion") {
		return &op{kind: "upgrade", version: v, last: now}
	}
	return nil
}

func (s *Simulator) snapshotStep(ctx context.Context, w *world, o *op) bool {
	phases := []string{"Started", "RestartCluster", "Finished"}
	o.phase++
	if w.cl.GetAnnotations()[SnapshotFail] != "" {
		s.setStatus(ctx, w.cp, map[string]any{"etcdSnapshotCreatePhase": "Failed"})
		return true
	}
	if phases[o.phase] == "Finished" {
		for _, m := range w.machines {
			if m.GetLabels()[rancher.LabelEtcdRole] == "true" {
				s.createSnapshot(ctx, w, m.GetName())
			}
		}
	}
	s.setStatus(ctx, w.cp, map[string]any{"etcdSnapshotCreatePhase": phases[o.phase]})
	return o.phase == len(phases)-1
}

func (s *Simulator) createSnapshot(ctx context.Context, w *world, node string) {
	spec, _, _ := unstructured.NestedMap(w.cl.Object, "spec")
	meta, err := rancher.SnapshotMetadata(spec)
	if err != nil {
		return
	}
	now := time.Now().UTC()
	// Rancher's own naming, which we never parse: cluster, "etcd-snapshot", node, time.
	name := fmt.Sprintf("%s-etcd-snapshot-%s-%d-local", w.cl.GetName(), node, now.UnixNano())
	u := obj("rke.cattle.io/v1", "ETCDSnapshot", w.cl.GetNamespace(), name, map[string]string{rancher.LabelSnapshotCluster: w.cl.GetName()})
	u.Object["spec"] = map[string]any{"clusterName": w.cl.GetName()}
	u.Object["snapshotFile"] = map[string]any{"name": name, "nodeName": node, "location": "file:///var/lib/rancher/rke2/server/db/snapshots/" + name,
		"metadata": meta, "createdAt": now.Format(time.RFC3339Nano), "size": int64(4 << 20), "status": "successful"}
	_, _ = s.dyn.Resource(rancher.SnapshotResource).Namespace(w.cl.GetNamespace()).Create(ctx, u, metav1.CreateOptions{})
}

func (s *Simulator) restoreStep(ctx context.Context, w *world, o *op) bool {
	phases := []string{"Started", "Shutdown", "Restore", "RestartCluster", "Finished"}
	o.phase++
	if phases[o.phase] == "Restore" {
		r, _, _ := unstructured.NestedMap(w.cl.Object, "spec", "rkeConfig", "etcdSnapshotRestore")
		if str(r, "restoreRKEConfig") == rancher.RestoreKubernetesVersion {
			s.restoreVersion(ctx, w, str(r, "name"))
			o.version = str(w.cl.Object, "spec", "kubernetesVersion")
		}
	}
	st := map[string]any{"etcdSnapshotRestorePhase": phases[o.phase]}
	if phases[o.phase] == "Finished" {
		v := str(w.cl.Object, "spec", "kubernetesVersion")
		st["appliedSpec"] = map[string]any{"kubernetesVersion": v}
		s.setStatus(ctx, w.cp, st)
		s.setReady(ctx, w, "True", "", "")
		return true
	}
	s.setStatus(ctx, w.cp, st)
	return false
}

// restoreVersion rewrites the Cluster's version from the snapshot and moves every node
// back at once: a restore ignores the concurrency and drain settings.
func (s *Simulator) restoreVersion(ctx context.Context, w *world, name string) {
	snaps, err := rancher.ListSnapshots(ctx, s.dyn, w.cl.GetNamespace(), w.cl.GetName())
	if err != nil {
		return
	}
	var v string
	for _, sn := range snaps {
		if sn.Name == name {
			v = sn.KubernetesVersion
		}
	}
	if v == "" {
		return
	}
	_ = unstructured.SetNestedField(w.cl.Object, v, "spec", "kubernetesVersion")
	if updated, err := s.dyn.Resource(rancher.ClusterResource).Namespace(w.cl.GetNamespace()).Update(ctx, w.cl, metav1.UpdateOptions{FieldManager: "rancher"}); err == nil {
		w.cl = updated
	}
	for _, m := range w.machines {
		s.moveMachine(ctx, w, m, v, true)
	}
}

func (s *Simulator) upgradeStep(ctx context.Context, w *world, o *op) bool {
	v := str(w.cl.Object, "spec", "kubernetesVersion")
	if v != o.version { // changed mid-way: Rancher simply goes on to the new version
		o.version = v
	}
	if w.cl.GetAnnotations()[FailAt] == v && moved(w, v) > 0 {
		s.setReady(ctx, w, "False", "Error", "failing worker machine(s) "+w.machines[len(w.machines)-1].GetName()+": plan application failed on the node")
		return false
	}
	var next []*unstructured.Unstructured
	for _, m := range w.machines {
		if str(m.Object, "status", "nodeInfo", "kubeletVersion") != v {
			next = append(next, m)
		}
	}
	if len(next) == 0 {
		s.setStatus(ctx, w.cp, map[string]any{"appliedSpec": map[string]any{"kubernetesVersion": v}})
		s.setReady(ctx, w, "True", "", "")
		return true
	}
	if len(o.announced) > 0 {
		for _, m := range next {
			for _, name := range o.announced {
				if m.GetName() == name {
					s.moveMachine(ctx, w, m, v, false)
				}
			}
		}
		o.announced = nil
		return false
	}
	// Rancher names the nodes it works on before they move.
	group := rank(next[0])
	n := concurrency(w.cl, group, len(next))
	var names []string
	for _, m := range next {
		if rank(m) != group || len(names) == n {
			break
		}
		names = append(names, m.GetName())
	}
	o.announced = names
	what := []string{"etcd", "control plane", "worker"}[group]
	msg := fmt.Sprintf("configuring %s node(s) %s: waiting for plan to be applied", what, strings.Join(names, ","))
	if group == 2 {
		msg = fmt.Sprintf("draining worker node(s) %s", strings.Join(names, ","))
	}
	s.setReady(ctx, w, "Unknown", "Waiting", msg)
	return false
}

func moved(w *world, v string) int {
	n := 0
	for _, m := range w.machines {
		if str(m.Object, "status", "nodeInfo", "kubeletVersion") == v {
			n++
		}
	}
	return n
}

// concurrency reads upgradeStrategy: "" is 1, "0" unlimited, "N%" a share of the nodes.
func concurrency(cl *unstructured.Unstructured, group, total int) int {
	field := "workerConcurrency"
	if group < 2 {
		field = "controlPlaneConcurrency"
	}
	v := str(cl.Object, "spec", "rkeConfig", "upgradeStrategy", field)
	if group == 0 {
		return 1 // etcd members always one at a time
	}
	switch {
	case v == "":
		return 1
	case v == "0":
		return total
	case strings.HasSuffix(v, "%"):
		p, _ := strconv.Atoi(strings.TrimSuffix(v, "%"))
		return max(1, int(math.Ceil(float64(total*p)/100)))
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func (s *Simulator) moveMachine(ctx context.Context, w *world, m *unstructured.Unstructured, v string, restore bool) {
	from := str(m.Object, "status", "nodeInfo", "kubeletVersion")
	_ = unstructured.SetNestedField(m.Object, v, "status", "nodeInfo", "kubeletVersion")
	if _, err := s.dyn.Resource(rancher.MachineResource).Namespace(m.GetNamespace()).UpdateStatus(ctx, m, metav1.UpdateOptions{}); err != nil {
		return
	}
	var roles []string
	for _, r := range []string{rancher.LabelEtcdRole, rancher.LabelControlPlane, rancher.LabelWorkerRole} {
		if m.GetLabels()[r] == "true" {
			roles = append(roles, strings.TrimSuffix(strings.TrimPrefix(r, "rke.cattle.io/"), "-role"))
		}
	}
	s.mu.Lock()
	s.events = append(s.events, Event{Time: time.Now(), Cluster: w.cl.GetNamespace() + "/" + w.cl.GetName(), Machine: m.GetName(), Roles: strings.Join(roles, ","), From: from, To: v, Restore: restore})
	s.mu.Unlock()
}
