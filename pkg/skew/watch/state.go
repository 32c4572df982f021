package watch

import (
	"reflect"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// State is one evaluation of the cluster.
type State struct {
	Evaluated time.Time
	Nodes     int
	// Findings are what check reports, sorted worst first.
	Findings []policy.Finding
	// Target is the --target as given; TargetFindings the findings a control plane
	// there would add to Findings (by ID and subject).
	Target         string
	TargetFindings []policy.Finding
	// APIServerMinors are the oldest and newest kube-apiserver minors; KubeletMinor the
	// oldest kubelet's. Nil when unknown.
	APIServerMinors *[2]version.MinorVersion
	KubeletMinor    *version.MinorVersion
}

// Worst is the worst severity among the findings, "" when there is none.
func (s *State) Worst() policy.Severity {
	var worst policy.Severity
	for _, f := range s.Findings {
		if worst == "" || f.Severity.Rank() > worst.Rank() {
			worst = f.Severity
		}
	}
	return worst
}

// Evaluate applies the policy to inv, once as it is and, with a target, once more
// for the findings the target adds. It is pure: the Watcher calls it with the
// inventory of its caches, tests with any inventory.
func Evaluate(inv *cluster.Inventory, target *version.Target, now time.Time) *State {
	s := &State{Evaluated: now, Nodes: len(inv.Nodes), Findings: judge.Skew(inv, nil)}
	if target != nil {
		s.Target = target.Version.MinorString()
		if target.Exact {
			s.Target = target.Version.String()
		}
		s.TargetFindings = judge.TargetAdds(inv, *target, s.Findings)
	}
	if lo, hi, ok := inv.APIServerRange(); ok {
		s.APIServerMinors = &[2]version.MinorVersion{lo.MinorVersion(), hi.MinorVersion()}
	}
	for _, n := range inv.Nodes {
		if n.Kubelet == nil {
			continue
		}
		if m := n.Kubelet.MinorVersion(); s.KubeletMinor == nil || m.Compare(*s.KubeletMinor) < 0 {
			s.KubeletMinor = &m
		}
	}
	return s
}

// Change is an evaluation whose findings differ from the one before.
type Change struct {
	State *State
	// Added and Removed compare Findings; TargetAdded and TargetRemoved TargetFindings.
	// A finding whose message changed (a kubelet now five minors behind, not four) is
	// both removed and added.
	Added, Removed             []policy.Finding
	TargetAdded, TargetRemoved []policy.Finding
}

// Report summarises the change as the watch prints it: the time in UTC, the findings
// counted by severity, and the findings that appeared and went.
func (c Change) Report() *report.WatchChange {
	s := c.State
	r := &report.WatchChange{
		Time: s.Evaluated.UTC(), Nodes: s.Nodes, Added: c.Added, Removed: c.Removed,
		Target: s.Target, TargetAdded: c.TargetAdded, TargetRemoved: c.TargetRemoved,
	}
	if r.Added == nil {
		r.Added = []policy.Finding{}
	}
	if r.Removed == nil {
		r.Removed = []policy.Finding{}
	}
	for _, f := range s.Findings {
		switch f.Severity {
		case policy.Error:
			r.Errors++
		case policy.Warning:
			r.Warnings++
		case policy.Info:
			r.Info++
		}
	}
	return r
}

// diff compares two evaluations; ok is false when their findings are the same. The
// first evaluation (prev nil) is always a change.
func diff(prev, next *State) (Change, bool) {
	c := Change{State: next}
	var before, targetBefore []policy.Finding
	if prev != nil {
		before, targetBefore = prev.Findings, prev.TargetFindings
	}
	c.Added, c.Removed = setDiff(before, next.Findings)
	c.TargetAdded, c.TargetRemoved = setDiff(targetBefore, next.TargetFindings)
	changed := prev == nil || len(c.Added)+len(c.Removed)+len(c.TargetAdded)+len(c.TargetRemoved) > 0
	return c, changed
}

func setDiff(before, after []policy.Finding) (added, removed []policy.Finding) {
	key := func(f policy.Finding) [4]string { return [4]string{f.ID, string(f.Severity), f.Subject, f.Message} }
	old := make(map[[4]string]int, len(before))
	for _, f := range before {
		old[key(f)]++
	}
	for _, f := range after {
		if k := key(f); old[k] > 0 {
			old[k]--
		} else {
			added = append(added, f)
		}
	}
	for _, f := range before {
		if k := key(f); old[k] > 0 {
			old[k]--
			removed = append(removed, f)
		}
	}
	return added, removed
}

// slim is the informers' transform: the caches hold only what Build reads.
func slim(obj any) (any, error) {
	switch o := obj.(type) {
	case *corev1.Node:
		return cluster.SlimNode(o), nil
	case *corev1.Pod:
		return cluster.SlimPod(o), nil
	}
	return obj, nil // a DeletedFinalStateUnknown tombstone: its object was slimmed when cached
}

// sameObject compares two slim cached objects, ignoring their resourceVersions.
func sameObject(a, b any) bool {
	switch x := a.(type) {
	case *corev1.Node:
		y, ok := b.(*corev1.Node)
		if !ok {
			return false
		}
		xc, yc := *x, *y
		xc.ResourceVersion, yc.ResourceVersion = "", ""
		return reflect.DeepEqual(xc, yc)
	case *corev1.Pod:
		y, ok := b.(*corev1.Pod)
		if !ok {
			return false
		}
		xc, yc := *x, *y
		xc.ResourceVersion, yc.ResourceVersion = "", ""
		return reflect.DeepEqual(xc, yc)
	}
	return false
}
