// Package runrecord keeps, in the cluster, the record of an upgrade run that no
// controller holds: which path it walks, which node it is at and in what state, and
// what it changed. A ConfigMap of ours holds the record and a Lease keeps a second
// run out, so that status and abort work from any workstation while the run lasts.
package runrecord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

const (
	// Name is the ConfigMap of the record and the Lease of the run.
	Name = "kubectl-skew-run"
	// DefaultNamespace is where they live.
	DefaultNamespace = "kube-system"
	// LabelManagedBy marks them as ours: nothing else of that name is touched.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	managedBy      = "kubectl-skew"
	// FieldManager is the field manager of our writes.
	FieldManager = "kubectl-skew"
	dataKey      = "run.json"
	// maxRecordBytes bounds what is read back: a record is a few KiB per hundred nodes.
	maxRecordBytes = 1 << 20
)

// States of a run and of a node in it.
const (
	StateRunning = "running"
	StateFailed  = "failed"
	StateAborted = "aborted"
	StateDone    = "done"

	NodeCordoned = "cordoned"
	NodeDraining = "draining"
	NodeCommand  = "running command"
	NodeWaiting  = "waiting"
	NodeManual   = "waiting for the operator"
	NodeDone     = "done"
	NodeFailed   = "failed"
)

// Record is one run, as status shows it and rollback reads it.
type Record struct {
	Driver  string    `json:"driver"`
	Distro  string    `json:"distro"`
	Target  string    `json:"target"`
	Hops    []string  `json:"hops"`
	Holder  string    `json:"holder"`
	Started time.Time `json:"started"`
	Updated time.Time `json:"updated"`
	State   string    `json:"state"`
	// Hop is the hop under way ("hop 1 of 2"), Node and NodeState the node at work.
	Hop       string `json:"hop,omitempty"`
	Node      string `json:"node,omitempty"`
	NodeState string `json:"nodeState,omitempty"`
	Message   string `json:"message,omitempty"`
	// AbortRequested is set by kubectl skew abort: the run stops before its next node.
	AbortRequested string       `json:"abortRequested,omitempty"`
	Nodes          []NodeRecord `json:"nodes,omitempty"`
}

// NodeRecord is what the run did to one node.
type NodeRecord struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	From  string `json:"from"`
	To    string `json:"to"`
	State string `json:"state"`
	// Cordoned is true when the run cordoned the node (it was schedulable before):
	// only such a node is uncordoned again.
	Cordoned bool   `json:"cordoned,omitempty"`
	Log      string `json:"log,omitempty"`
	Message  string `json:"message,omitempty"`
	// Started is when the run began to move the node (cordon): a rollback restores
	// a snapshot taken before the first node of the hop started.
	Started time.Time `json:"started"`
}

// SetNode records the state of a node's move, adding the node on first sight (and
// keeping when it first started).
func (r *Record) SetNode(n NodeRecord) {
	for i := range r.Nodes {
		if r.Nodes[i].Name == n.Name && r.Nodes[i].To == n.To {
			if !r.Nodes[i].Started.IsZero() {
				n.Started = r.Nodes[i].Started
			}
			r.Nodes[i] = n
			return
		}
	}
	r.Nodes = append(r.Nodes, n)
}

// HopStart is the hop to `to` as the run moved it: the version its first node left,
// and when that node started; ok is false when no node of it is recorded.
func (r *Record) HopStart(to string) (from string, started time.Time, ok bool) {
	for _, n := range r.Nodes {
		if n.To != to {
			continue
		}
		if !ok || n.Started.Before(started) {
			from, started, ok = n.From, n.Started, true
		}
	}
	return from, started, ok
}

// LastHops are the hop the run moved last and the one before it ("" when none),
// in the order of its path.
func (r *Record) LastHops() (last, prev string) {
	for _, h := range r.Hops {
		if _, _, ok := r.HopStart(h); ok {
			last, prev = h, last
		}
	}
	return last, prev
}

// NodeOf is the record of node's move to version to, if any.
func (r *Record) NodeOf(name, to string) (NodeRecord, bool) {
	for _, n := range r.Nodes {
		if n.Name == name && n.To == to {
			return n, true
		}
	}
	return NodeRecord{}, false
}

// ErrForeign is an object of our name that we did not create.
var ErrForeign = errors.New("exists but is not ours (no label " + LabelManagedBy + "=" + managedBy + ")")

func ours(m metav1.ObjectMeta) bool { return m.Labels[LabelManagedBy] == managedBy }

// Read reads the record; nil when there is none.
func Read(ctx context.Context, kube kubernetes.Interface, ns string) (*Record, error) {
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the run record %s/%s: %w", ns, Name, err)
	}
	if !ours(cm.ObjectMeta) {
		return nil, fmt.Errorf("ConfigMap %s/%s %w", ns, Name, ErrForeign)
	}
	return decode(cm)
}

func decode(cm *corev1.ConfigMap) (*Record, error) {
	raw := cm.Data[dataKey]
	if len(raw) > maxRecordBytes {
		return nil, fmt.Errorf("the run record %s/%s is %d bytes, more than a record of ours ever is: delete it if no run is under way", cm.Namespace, cm.Name, len(raw))
	}
	var r Record
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		return nil, fmt.Errorf("the run record %s/%s is not a record of ours (%v): delete it if no run is under way", cm.Namespace, cm.Name, err)
	}
	return &r, nil
}

// Write stores r, creating the record when there is none. A kubectl skew abort
// written since the run last read the record is kept: the run never erases it.
func Write(ctx context.Context, kube kubernetes.Interface, ns string, r *Record) error {
	api := kube.CoreV1().ConfigMaps(ns)
	for attempt := 0; attempt < 5; attempt++ {
		cur, err := api.Get(ctx, Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cm, err := configMap(ns, r)
			if err != nil {
				return err
			}
			if _, err = api.Create(ctx, cm, metav1.CreateOptions{FieldManager: FieldManager}); err == nil || !apierrors.IsAlreadyExists(err) {
				return wrapWrite(ns, err)
			}
			continue
		}
		if err != nil {
			return wrapWrite(ns, err)
		}
		if !ours(cur.ObjectMeta) {
			return fmt.Errorf("ConfigMap %s/%s %w: rename or remove it", ns, Name, ErrForeign)
		}
		if prev, derr := decode(cur); derr == nil && prev.AbortRequested != "" && r.AbortRequested == "" && prev.Started.Equal(r.Started) {
			r.AbortRequested = prev.AbortRequested
		}
		cm, err := configMap(ns, r)
		if err != nil {
			return err
		}
		cm.ResourceVersion = cur.ResourceVersion
		if _, err = api.Update(ctx, cm, metav1.UpdateOptions{FieldManager: FieldManager}); err == nil || !apierrors.IsConflict(err) {
			return wrapWrite(ns, err)
		}
	}
	return fmt.Errorf("write the run record %s/%s: it kept changing under us", ns, Name)
}

func wrapWrite(ns string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("write the run record %s/%s: %w", ns, Name, err)
}

func configMap(ns string, r *Record) (*corev1.ConfigMap, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode the run record: %w", err)
	}
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: Name, Namespace: ns, Labels: map[string]string{LabelManagedBy: managedBy}},
		Data:       map[string]string{dataKey: string(b)},
	}, nil
}

// RequestAbort asks a running run to stop before its next node; it returns the
// record as it now stands, nil when there is no run under way.
func RequestAbort(ctx context.Context, kube kubernetes.Interface, ns string, now time.Time) (*Record, error) {
	r, err := Read(ctx, kube, ns)
	if err != nil || r == nil || r.State != StateRunning {
		return r, err
	}
	if r.AbortRequested == "" {
		r.AbortRequested = now.UTC().Format(time.RFC3339)
	}
	return r, Write(ctx, kube, ns, r)
}

// Delete removes the record (ours only), once nothing of the run is left to show.
func Delete(ctx context.Context, kube kubernetes.Interface, ns string) error {
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the run record %s/%s: %w", ns, Name, err)
	}
	if !ours(cm.ObjectMeta) {
		return nil
	}
	uid := cm.UID
	err = kube.CoreV1().ConfigMaps(ns).Delete(ctx, Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete the run record %s/%s: %w", ns, Name, err)
	}
	return nil
}
