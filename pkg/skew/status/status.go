// Package status says where an upgrade that kubectl-skew started stands: the hop,
// the phase, each node, failed Jobs, what to run next and how to roll back. It reads
// our Plans, their Jobs and the nodes once, then judges them in pure functions.
package status

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Input is what status reads: our Plans, their Jobs, and the nodes.
type Input struct {
	Namespace string
	Plans     []upgradev1.Plan
	Jobs      []batchv1.Job
	Nodes     []corev1.Node
	// Blockers names, by Job, what stopped a failed drain (see DrainBlocker).
	Blockers map[string]string
	// PodErrors says, by Job, why its failed pod ended (see suc.PodFailure).
	PodErrors map[string]string
	// Now is the clock, for the maintenance window.
	Now time.Time
	// Run is the record of a --driver command or manual run, if there is one.
	Run *runrecord.Record
}

type statusPlan struct {
	plan    *upgradev1.Plan
	version version.Version
	role    string
	rec     suc.Record
	nodes   []report.StatusNode
	sp      report.StatusPlan
}

// Build says where the upgrade our Plans describe stands: the current hop
// (the lowest version with a node not done), each of its nodes, failed Jobs, the
// next step and how to roll back.
func Build(in Input) *report.StatusReport {
	r := report.NewStatusReport()
	r.Summary.Namespace = in.Namespace
	var plans []*statusPlan
	var snapshot suc.Record
	for i := range in.Plans {
		p := &in.Plans[i]
		rec := suc.RecordOf(p)
		if p.Labels[suc.LabelRole] == suc.RoleSnapshot {
			snapshot = rec
			continue
		}
		v, err := suc.PlanVersion(p)
		if err != nil {
			continue
		}
		plans = append(plans, &statusPlan{plan: p, version: v, role: p.Labels[suc.LabelRole], rec: rec})
	}
	if len(plans) == 0 && in.Run != nil {
		fromRun(r, in.Run)
		return r
	}
	if len(plans) == 0 {
		r.Summary.State = report.StateNone
		r.Summary.Next = fmt.Sprintf("no upgrade by kubectl-skew in namespace %s; kubectl skew plan shows the way to a newer release", in.Namespace)
		return r
	}
	// Servers before agents within a version, versions in order.
	sort.SliceStable(plans, func(i, j int) bool {
		if c := plans[i].version.Compare(plans[j].version); c != 0 {
			return c < 0
		}
		return plans[i].role == suc.RoleServer && plans[j].role != suc.RoleServer
	})
	rec := plans[len(plans)-1].rec
	for _, p := range plans {
		if len(p.rec.Path) > len(rec.Path) && p.rec.Target.String() == rec.Target.String() {
			rec = p.rec
		}
	}
	if snapshot.Snapshot == "" {
		snapshot = rec
	}
	r.Summary.Target, r.Summary.Path, r.Summary.Hops = rec.Target.String(), rec.Path, len(rec.Path)
	if rec.Target == (version.Version{}) {
		r.Summary.Target = ""
	}

	nodes := map[string]*corev1.Node{}
	for i := range in.Nodes {
		n := &in.Nodes[i]
		nodes[cluster.Hostname(n)] = n
	}
	jobs := suc.LatestJobs(in.Jobs)
	distro := version.Other
	var current *statusPlan
	for _, p := range plans {
		fillPlan(p, nodes, jobs)
		distro = p.version.Distro
		r.Plans = append(r.Plans, p.sp)
		if current == nil && p.sp.Done < p.sp.Nodes {
			current = p
		}
		for _, n := range p.nodes {
			if j := jobs[suc.JobKey{Plan: p.plan.Name, Node: n.Name}]; n.State == report.NodeFailed && j != nil {
				msg, _ := suc.JobFailed(j)
				if why := in.PodErrors[j.Name]; why != "" {
					msg += "; " + why
				}
				r.Failures = append(r.Failures, report.StatusFailure{Plan: p.plan.Name, Job: j.Name, Node: n.Name, Message: msg, Blocker: in.Blockers[j.Name]})
			}
		}
	}
	r.Summary.Distro = string(distro)
	r.AcceptedHazards = acceptedHazards(plans)
	if snapshot.Snapshot != "" {
		r.Snapshot = &report.StatusSnapshot{Name: snapshot.Snapshot, Node: snapshot.SnapshotNode}
	}

	last := plans[len(plans)-1]
	shown := current
	if shown == nil {
		shown = last
	}
	s := &r.Summary
	s.HopVersion, s.Phase = shown.version.String(), phaseOf(shown.role)
	s.Hop = rec.HopIndex(shown.version)
	s.From = shown.plan.Annotations[suc.AnnotationFrom]
	r.Nodes = shown.nodes
	for _, n := range shown.nodes {
		switch n.State {
		case report.NodeDone:
			s.Done++
		case report.NodeApplying:
			s.Applying++
		case report.NodeFailed:
			s.Failed++
		default:
			s.Pending++
		}
	}
	resume := ResumeCommand(rec.Target)
	aborting := abortingSince(plans)
	switch {
	case aborting != "":
		s.State = report.StateAborting
		s.Next = fmt.Sprintf("kubectl skew abort began at %s and has not finished: no further node starts, and no upgrade may run until it has; finish it with: kubectl skew abort --yes", aborting)
	case len(r.Failures) > 0:
		s.State = report.StateFailed
		f := r.Failures[0]
		cause := f.Message
		if f.Blocker != "" {
			cause = f.Blocker
		}
		s.Next = fmt.Sprintf("fix node %s (Job %s: %s), then resume: %s --retry-failed --wait", f.Node, f.Job, cause, resume)
	case current != nil:
		s.State = report.StateInProgress
		s.Next = fmt.Sprintf("the controller is upgrading the %s of %s; follow it with: %s --wait", s.Phase, hopName(rec, shown.version), resume)
	case rec.Target != (version.Version{}) && last.version.Compare(rec.Target) < 0:
		s.State = report.StateWaiting
		s.Next = fmt.Sprintf("the %s of %s are done; apply the next step with: %s (add --wait to follow it to the end)", s.Phase, hopName(rec, last.version), resume)
	case last.role == suc.RoleAgent && last.plan.Annotations[suc.AnnotationCanary] != "" && agentsPending(in.Nodes, last.version):
		s.State = report.StateWaiting
		s.Next = fmt.Sprintf("the canary agents of %s run %s; the other agents go with: %s", hopName(rec, last.version), last.version, resume)
	case last.role == suc.RoleServer && agentsPending(in.Nodes, last.version):
		s.State = report.StateWaiting
		s.Next = fmt.Sprintf("every server runs %s; release the agents with: %s", last.version, resume)
	default:
		s.State = report.StateComplete
		s.Next = fmt.Sprintf("the upgrade to %s is complete; kubectl skew check confirms the skew rules; the Plans can go: kubectl delete plans -n %s -l %s",
			last.version, in.Namespace, suc.OwnedSelector)
	}
	if s.State != report.StateComplete {
		r.Rollback = Rollback(distro, s.From, r.Snapshot)
	}
	r.Manual = manualNodes(in.Nodes, distro, s.HopVersion)
	if shown.role == suc.RoleAgent && shown.plan.Annotations[suc.AnnotationCanary] != "" {
		names := make([]string, 0, len(shown.nodes))
		for _, n := range shown.nodes {
			names = append(names, n.Name+" ("+string(n.State)+")")
		}
		s.Canary = strings.Join(names, ", ")
	}
	if at, ok := suc.NextOpen(shown.plan.Spec.Window, in.Now); ok && at.After(in.Now) && s.State != report.StateComplete {
		w := shown.plan.Spec.Window
		s.Window = fmt.Sprintf("opens %s (%s %s-%s %s); until then no node starts", at.Format("Mon 2006-01-02 15:04 MST"), strings.Join(daysOf(w), ","), w.StartTime, w.EndTime, w.TimeZone)
	}
	return r
}

// abortingSince is when kubectl skew abort marked our Plans, "" when it did not.
func abortingSince(plans []*statusPlan) string {
	for _, p := range plans {
		if at := suc.AbortingSince(p.plan); at != "" {
			return at
		}
	}
	return ""
}

func phaseOf(role string) string {
	if role == suc.RoleAgent {
		return "agents"
	}
	return "servers"
}

func hopName(rec suc.Record, v version.Version) string {
	if l := suc.HopLabel(rec, v); l != "" {
		return l + " (" + v.String() + ")"
	}
	return "the hop to " + v.String()
}

// ResumeCommand is the command that goes on with an upgrade to target, pinned to
// it so that a moving channel cannot change it half way; flags are the run's
// other non-default flags.
func ResumeCommand(target version.Version, flags ...string) string {
	args := []string{"kubectl skew upgrade"}
	if target != (version.Version{}) {
		args = append(args, "--version "+target.String())
	}
	return strings.Join(append(args, flags...), " ")
}

func agentsPending(nodes []corev1.Node, v version.Version) bool {
	for i := range nodes {
		n := &nodes[i]
		if cluster.RoleOf(n).IsServer() {
			continue
		}
		if kv, err := version.Parse(n.Status.NodeInfo.KubeletVersion); err == nil && kv.Compare(v) < 0 {
			return true
		}
	}
	return false
}

func fillPlan(p *statusPlan, nodes map[string]*corev1.Node, jobs map[suc.JobKey]*batchv1.Job) {
	applying := map[string]bool{}
	for _, h := range p.plan.Status.Applying {
		applying[h] = true
	}
	p.sp = report.StatusPlan{Name: p.plan.Name, Role: p.role, Version: p.version.String(), Hop: p.rec.HopIndex(p.version),
		Applying: []string{}, Complete: suc.PlanComplete(p.plan)}
	munged := p.version.ImageTag()
	for _, h := range suc.SelectedHostnames(p.plan) {
		n := nodes[h]
		if n == nil {
			continue // gone from the cluster
		}
		sn := report.StatusNode{Name: n.Name, Role: string(cluster.RoleOf(n)), Version: n.Status.NodeInfo.KubeletVersion, Plan: p.plan.Name,
			Cordoned: n.Spec.Unschedulable, Ready: cluster.Ready(n)}
		j := jobs[suc.JobKey{Plan: p.plan.Name, Node: n.Name}]
		if j != nil && j.Labels[suc.LabelJobVersion] == munged {
			sn.Job = j.Name
		} else {
			j = nil
		}
		kv, err := version.Parse(sn.Version)
		_, failed := suc.JobFailed(j)
		switch {
		case err == nil && kv.Compare(p.version) >= 0:
			sn.State = report.NodeDone
		case failed:
			sn.State = report.NodeFailed
		case applying[h] || (j != nil && !suc.JobComplete(j)):
			sn.State = report.NodeApplying
		default:
			sn.State = report.NodePending
		}
		p.sp.Nodes++
		switch sn.State {
		case report.NodeDone:
			p.sp.Done++
		case report.NodeFailed:
			p.sp.Failed++
		case report.NodeApplying:
			p.sp.Applying = append(p.sp.Applying, n.Name)
		}
		p.nodes = append(p.nodes, sn)
	}
	sort.Slice(p.nodes, func(i, j int) bool { return p.nodes[i].Name < p.nodes[j].Name })
}

// manualNodes are the nodes no upgrade image can upgrade, with the version the hop
// moves the cluster to: the upgrade leaves them to be upgraded by hand.
func manualNodes(nodes []corev1.Node, d version.Distro, hop string) []report.StatusManual {
	var out []report.StatusManual
	for _, n := range cluster.Build(cluster.Objects{Nodes: nodes, Pods: []corev1.Pod{}}).Nodes {
		if reason := upgradepath.ManualReason(d, n, false); reason != "" {
			out = append(out, report.StatusManual{Name: n.Name, Version: n.KubeletVersion, Reason: reason, Target: hop})
		}
	}
	return out
}

func daysOf(w *upgradev1.TimeWindowSpec) []string {
	out := make([]string, len(w.Days))
	for i, d := range w.Days {
		out[i] = string(d)
	}
	return out
}

// acceptedHazards are the hazards any of our Plans records as acknowledged, once
// each and in ID order: each run records its own --accept-hazard, and a Plan
// written by an earlier run keeps what that run accepted.
func acceptedHazards(plans []*statusPlan) []report.StatusHazard {
	var ids []string
	for _, p := range plans {
		ids = append(ids, p.rec.AcceptedHazards...)
	}
	slices.Sort(ids)
	var out []report.StatusHazard
	for _, id := range slices.Compact(ids) {
		h := report.StatusHazard{ID: id, Title: "not a hazard this version knows"}
		if e, ok := hazard.ByID(id); ok {
			h.Title = e.Title
		}
		out = append(out, h)
	}
	return out
}
