package rancher

import (
	"fmt"
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Inventory turns the Machines into the Inventory the skew rules and the planner read:
// a Machine with the etcd or control-plane role is a server, a worker an agent, and
// its kubelet version is the one its Machine reports.
func (s *State) Inventory() *cluster.Inventory {
	nodes := make([]corev1.Node, 0, len(s.Machines))
	for _, m := range s.Machines {
		name := m.Node
		if name == "" {
			name = m.Name
		}
		labels := map[string]string{corev1.LabelHostname: name, corev1.LabelOSStable: "linux"}
		if m.Etcd {
			labels[cluster.LabelEtcd] = "true"
		}
		if m.Control {
			labels[cluster.LabelControlPlane] = "true"
		}
		ready := corev1.ConditionTrue
		if m.Phase != "" && m.Phase != "Running" {
			ready = corev1.ConditionFalse
		}
		nodes = append(nodes, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Status: corev1.NodeStatus{
				NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: m.KubeletVersion, OperatingSystem: "linux"},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}},
			},
		})
	}
	return cluster.Build(cluster.Objects{Nodes: nodes})
}

// Supported says whether this Rancher supports v: its ui-k8s-supported-versions-range
// setting, a semver range. Without the setting nothing is refused.
func (st Settings) Supported(v version.Version) error {
	if st.SupportedRange == "" {
		return nil
	}
	c, err := semver.NewConstraint(st.SupportedRange)
	if err != nil {
		return fmt.Errorf("the setting ui-k8s-supported-versions-range %q cannot be read: %v", st.SupportedRange, err)
	}
	sv, err := semver.NewVersion(v.String())
	if err != nil {
		return fmt.Errorf("%s is not a semantic version", v)
	}
	if !c.Check(sv) {
		return fmt.Errorf("%s is outside the versions this Rancher%s supports (ui-k8s-supported-versions-range %q%s)", v, st.server(), st.SupportedRange, st.defaultFor(v.Distro))
	}
	return nil
}

// fixUnsupported is the fix for a version this Rancher does not support.
const fixUnsupported = "choose a target this Rancher supports, or upgrade Rancher first"

// Unsupported says, one line each with the fix, which hops this Rancher does not
// support.
func (st Settings) Unsupported(hops []version.Version) []string {
	var out []string
	for _, h := range hops {
		if err := st.Supported(h); err != nil {
			out = append(out, err.Error()+"; "+fixUnsupported)
		}
	}
	return out
}

// Findings are SKEW605 findings for the versions this Rancher does not support, on a
// cluster of distribution d (a version without one, such as --target v1.34, is d's).
func (st Settings) Findings(d version.Distro, versions ...version.Version) []policy.Finding {
	var out []policy.Finding
	for _, v := range versions {
		if !v.Distro.IsRancherDistro() {
			v.Distro = d
		}
		if err := st.Supported(v); err != nil {
			out = append(out, policy.Finding{ID: policy.RancherUnsupported, Severity: policy.Error, Subject: "target",
				Rule:    "A Rancher-provisioned cluster may only run a version its Rancher supports.",
				Message: err.Error(), Fix: fixUnsupported})
		}
	}
	return out
}

// Hops are the versions Rancher is set to, in order: each hop's version once. Rancher
// moves every node to the Cluster's version itself, agents included.
func Hops(p *upgradepath.Path) []version.Version {
	var out []version.Version
	for _, h := range p.Hops {
		if len(out) == 0 || !out[len(out)-1].Equal(h.To) {
			out = append(out, h.To)
		}
	}
	return out
}

// defaultFor names the version Rancher gives new clusters of the distribution, for a message.
func (st Settings) defaultFor(d version.Distro) string {
	var def string
	switch d {
	case version.K3s:
		def = st.K3sDefault
	case version.RKE2:
		def = st.RKE2Default
	}
	// A target of no distribution (--target v1.34) names no default.
	if def == "" {
		return ""
	}
	return fmt.Sprintf("; its default for new %s clusters is %s", d.Name(), def)
}

func (st Settings) server() string {
	if st.ServerVersion == "" {
		return ""
	}
	return " " + st.ServerVersion
}

// Progress is where a version change stands.
type Progress struct {
	// Done: the control plane applied the version, is Ready, Stable and Reconciled,
	// and every Machine's kubelet reports it.
	Done bool
	// Failed holds the control plane's message when it reports Ready=False, reason Error.
	Failed string
	// Message is the control plane's Ready message while it works.
	Message string
	// Moved are the Machines on the version, of Total.
	Moved, Total int
}

// ProgressTo judges the change to v.
func (s *State) ProgressTo(v string) Progress {
	p := Progress{Total: len(s.Machines)}
	for _, m := range s.Machines {
		if m.KubeletVersion == v {
			p.Moved++
		}
	}
	cp := s.ControlPlane
	if cp == nil {
		p.Message = "no RKEControlPlane yet"
		return p
	}
	ready, _ := find(cp.Conditions, "Ready")
	if ready.Status == "False" && ready.Reason == "Error" {
		p.Failed = ready.Message
	}
	p.Message = ready.Message
	p.Done = cp.AppliedVersion == v && p.Moved == p.Total && s.conditionsTrue("Ready", "Stable", "Reconciled")
	return p
}

// conditionsTrue: each condition present is True. One Rancher has not written (yet, or
// in an older release) does not hold the run up; Ready always exists.
func (s *State) conditionsTrue(types ...string) bool {
	for _, t := range types {
		c, ok := find(s.ControlPlane.Conditions, t)
		if (ok || t == "Ready") && c.Status != "True" {
			return false
		}
	}
	return true
}

// Key is a fingerprint of what changes while Rancher works: a run that sees it
// unchanged for --timeout has stalled.
func (p Progress) Key() string {
	return fmt.Sprintf("%d/%d %s %s", p.Moved, p.Total, p.Message, p.Failed)
}

// NewSnapshots are the snapshots in after that are newer than every one in before:
// nothing links a snapshot request to the objects it creates, and their names changed
// format between releases, so they are told apart by createdAt only.
func NewSnapshots(before, after []Snapshot) []Snapshot {
	var newest time.Time
	for _, s := range before {
		if s.CreatedAt.After(newest) {
			newest = s.CreatedAt
		}
	}
	var out []Snapshot
	for _, s := range after {
		if s.CreatedAt.After(newest) {
			out = append(out, s)
		}
	}
	return out
}

// RollbackSnapshot is the snapshot a rollback restores: the one named, else the one
// our upgrade took (recorded on the Cluster), else none. A snapshot of another
// cluster is refused.
func (s *State) RollbackSnapshot(name string) (*Snapshot, error) {
	recorded := s.Cluster.Annotations[AnnotationSnapshot]
	if name == "" {
		name = recorded
	}
	if name == "" {
		return nil, fmt.Errorf("no snapshot to restore: kubectl skew upgrade --rancher-cluster records the one it takes, and this cluster has none recorded; name one with --snapshot (%s)", s.snapshotNames())
	}
	for i := range s.Snapshots {
		if s.Snapshots[i].Name == name {
			snap := s.Snapshots[i]
			if snap.KubernetesVersion == "" && name == recorded {
				snap.KubernetesVersion = s.Cluster.Annotations[AnnotationSnapshotFrom]
			}
			return &snap, nil
		}
	}
	return nil, fmt.Errorf("snapshot %q is not one of cluster %s/%s's (%s): a snapshot of another cluster is never restored", name, s.Cluster.Namespace, s.Cluster.Name, s.snapshotNames())
}

func (s *State) snapshotNames() string {
	if len(s.Snapshots) == 0 {
		return "it has no snapshot"
	}
	names := make([]string, 0, len(s.Snapshots))
	for _, sn := range s.Snapshots {
		names = append(names, sn.Name)
	}
	sort.Strings(names)
	// Recurring snapshots pile up: name a few.
	return "its snapshots: " + text.Sample(names, 8)
}

// Condition returns a control-plane condition's status and message ("" when absent).
func (s *State) Condition(t string) Condition {
	if s.ControlPlane == nil {
		return Condition{Type: t}
	}
	c, _ := find(s.ControlPlane.Conditions, t)
	return c
}

// InOrder are the Machines in the order Rancher moves them: etcd, control plane, workers.
func (s *State) InOrder() []Machine {
	out := append([]Machine(nil), s.Machines...)
	rank := func(m Machine) int {
		switch {
		case m.Etcd:
			return 0
		case m.Control:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out
}
