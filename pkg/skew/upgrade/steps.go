package upgrade

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Phase is the part of a hop a step runs.
type Phase string

const (
	// PhaseServers upgrades the hop's servers, one Plan.
	PhaseServers Phase = "servers"
	// PhaseAgents upgrades the hop's agents, released once every server runs the hop's version.
	PhaseAgents Phase = "agents"
	// PhaseCluster moves every node of the hop, in the order the driver's own
	// controller keeps (Rancher: etcd, control plane, then workers, each gated by it).
	PhaseCluster Phase = "cluster"
)

// Step is what to apply next: the Plans of one phase of the first hop of a fresh
// path, and our Plans that this step supersedes.
type Step struct {
	Hop   upgradepath.Hop
	Phase Phase
	// Index and Total place the hop in the recorded path ("hop 2 of 3"); Index is 0
	// for a hop the record does not list.
	Index, Total int
	Record       suc.Record
	Plans        []*upgradev1.Plan
	// Prune are our Plans for other versions: done, or superseded by a new target.
	Prune []string
	// ServerPlan is the name of the hop's server Plan.
	ServerPlan string
	// Resumed is true when the step's Plans already exist (an earlier run applied them).
	Resumed bool
	// Kept names the settings this run asked for that the resumed Plan keeps as it
	// was created: they shape its Jobs, and changing them would start its nodes'
	// upgrades over (suc.KeepJobShape).
	Kept []string
	// Release are the servers this step lets the controller upgrade: one at a time
	// (ServerConcurrency), each only once the ones before it are back. A driver
	// that moves agents in batches names a batch of agents here too; empty for
	// agents means all of the hop's.
	Release []upgradepath.NodeStep
	// Canary is set when the step upgrades only the hop's canary agents: the run
	// stops once they are verified.
	Canary bool
	// Waiting says, by server, what is missing before it counts as back; while any
	// server waits, or the control plane does not run the hop's version yet, no
	// further node is released.
	Waiting map[string]string
}

// Nodes are the nodes the step upgrades.
func (s *Step) Nodes() []upgradepath.NodeStep {
	switch {
	case s.Phase == PhaseServers, s.Phase == PhaseAgents && len(s.Release) > 0:
		return s.Release
	case s.Phase == PhaseCluster:
		return append(append([]upgradepath.NodeStep(nil), s.Hop.Servers...), s.Hop.Agents...)
	}
	return s.Hop.Agents
}

// HopLabel is "hop 2 of 3" or "hop to v1.31.13+k3s1".
func (s *Step) HopLabel() string {
	if s.Index > 0 {
		return fmt.Sprintf("hop %d of %d", s.Index, s.Total)
	}
	return "hop to " + s.Hop.To.String()
}

// WaitingControlPlane is the Waiting key for a control plane that does not run the
// hop's version yet.
const WaitingControlPlane = "the control plane"

// ErrStillApplying refuses to delete one of our Plans while it upgrades a node.
var ErrStillApplying = errors.New("still upgrading nodes")

// nextStep decides what to apply for the first hop of path on the cluster inv,
// given our Plans in the cluster. Servers come first; a hop whose servers are all
// done releases its agents. snapshot records the snapshot taken by this run, if any.
//
// Servers go one at a time (cfg.ServerConcurrency): a server is released only once
// every server before it is back (unsettled names those that are not), and the agents
// only once the whole control plane runs the hop's version.
func nextStep(inv *cluster.Inventory, path *upgradepath.Path, ours []upgradev1.Plan, cfg suc.PlanConfig, snapshot suc.Record, unsettled map[string]string) (*Step, error) {
	if path == nil || len(path.Hops) == 0 {
		return nil, nil
	}
	d := path.Distro
	hop := path.Hops[0]
	if h, ok := unfinishedAgents(inv, path, ours); ok {
		hop = h
	}
	rec := recordFor(inv, path, ours, snapshot)
	rec.AcceptedHazards = cfg.AcceptedHazards
	st := &Step{Hop: hop, Record: rec, ServerPlan: suc.PlanName(suc.RoleServer, hop.To)}
	st.Index, st.Total = rec.HopIndex(hop.To), len(rec.Path)

	byName := map[string]*upgradev1.Plan{}
	for i := range ours {
		byName[ours[i].Name] = &ours[i]
	}
	waiting := map[string]string{}
	for n, m := range unsettled {
		waiting[n] = m
	}
	if len(hop.Servers) == 0 {
		// No server moves (any more): the agents wait for the whole control plane to
		// run the version they go to, as check sees it.
		if m := ControlPlaneAt(inv, hop.To); m != "" {
			waiting[WaitingControlPlane] = m
		}
	}
	if len(waiting) > 0 {
		st.Waiting = waiting
	}
	switch {
	case len(hop.Servers) > 0:
		st.Phase = PhaseServers
		st.Release = releaseServers(hop, byName[st.ServerPlan], int(cfg.ServerConcurrency), len(waiting) > 0)
		sh := hop
		sh.Servers = st.Release
		st.Plans = []*upgradev1.Plan{suc.ServerPlan(d, sh, rec, cfg)}
	default:
		st.Phase = PhaseAgents
		// The prepare step waits for the hop's server Plan; an agents-only catch-up hop
		// has none, and waiting for a Plan that does not exist never ends.
		prepare := ""
		if _, ok := byName[st.ServerPlan]; ok {
			prepare = st.ServerPlan
		}
		agentPlan := suc.PlanName(suc.RoleAgent, hop.To)
		if canary, ok := canaryAgents(hop, byName[agentPlan], cfg.Canary); ok {
			st.Hop.Agents, st.Canary = canary, true
		}
		st.Plans = []*upgradev1.Plan{suc.AgentPlan(d, st.Hop, prepare, rec, cfg)}
		if cfg.Canary > 0 {
			st.Plans[0].Annotations[suc.AnnotationCanary] = strconv.Itoa(cfg.Canary)
		}
	}
	st.Plans[0].Annotations[suc.AnnotationCordoned] = strings.Join(cordonedBefore(inv, hop, st.Phase, byName[st.Plans[0].Name]), ",")
	if st.Plans[0].Annotations[suc.AnnotationCordoned] == "" {
		delete(st.Plans[0].Annotations, suc.AnnotationCordoned)
	}
	if prev := byName[st.Plans[0].Name]; prev != nil {
		st.Resumed = true
		// Keep the nodes the Plan already named: nodes done stay done (SUC labels
		// them), and an unchanged Plan is not written again on a resume. What shapes
		// its Jobs stays too, or the controller would replace the Jobs in flight.
		keepSelection(st.Plans[0], prev)
		st.Kept = suc.KeepJobShape(st.Plans[0], prev)
	}

	keep := map[string]bool{st.ServerPlan: true, suc.PlanName(suc.RoleAgent, hop.To): true}
	var busy []string
	for i := range ours {
		p := &ours[i]
		if keep[p.Name] || p.Labels[suc.LabelRole] == suc.RoleSnapshot {
			continue
		}
		if len(p.Status.Applying) > 0 {
			busy = append(busy, fmt.Sprintf("%s (on %s)", p.Name, strings.Join(p.Status.Applying, ", ")))
			continue
		}
		st.Prune = append(st.Prune, p.Name)
	}
	if len(busy) > 0 {
		return st, fmt.Errorf("our Plans for another version are %w: %s; wait until they finish (kubectl skew status), or delete them (kubectl -n %s delete plan <name>) and run again",
			ErrStillApplying, strings.Join(busy, "; "), cfg.Namespace)
	}
	return st, nil
}

// releaseServers picks the servers the step lets the controller upgrade: those our
// Plan already released and that are not done, else, when every released server is
// back, the next ones up to the concurrency.
func releaseServers(hop upgradepath.Hop, prev *upgradev1.Plan, concurrency int, waiting bool) []upgradepath.NodeStep {
	inFlight := selectedBy(prev, hop.Servers)
	if len(inFlight) > 0 || waiting {
		return inFlight
	}
	if concurrency < 1 {
		concurrency = 1
	}
	return hop.Servers[:min(concurrency, len(hop.Servers))]
}

// keepSelection widens want's hostname list to the one prev already has.
func keepSelection(want, prev *upgradev1.Plan) {
	old := suc.SelectedHostnames(prev)
	if len(old) == 0 || want.Spec.NodeSelector == nil {
		return
	}
	for i, r := range want.Spec.NodeSelector.MatchExpressions {
		if r.Key != cluster.LabelHostname {
			continue
		}
		set := map[string]bool{}
		for _, h := range append(append([]string{}, r.Values...), old...) {
			set[h] = true
		}
		merged := make([]string, 0, len(set))
		for h := range set {
			merged = append(merged, h)
		}
		sort.Strings(merged)
		want.Spec.NodeSelector.MatchExpressions[i].Values = merged
	}
}

// unfinishedAgents finds the agents phase of a hop whose servers our Plan already
// moved. Once every server runs the hop's version the planner starts from there and
// would let those agents skip that minor at the next hop; with agents at every hop
// they must follow their servers first. The hop is rebuilt from the cluster: the
// agents still below the version our server Plan pinned.
func unfinishedAgents(inv *cluster.Inventory, path *upgradepath.Path, ours []upgradev1.Plan) (upgradepath.Hop, bool) {
	if inv == nil || path.Agents != upgradepath.AgentsEach {
		return upgradepath.Hop{}, false
	}
	lo := path.LowestServer
	ourServer := false
	for i := range ours {
		if ours[i].Labels[suc.LabelRole] != suc.RoleServer {
			continue
		}
		if v, err := suc.PlanVersion(&ours[i]); err == nil && v.Equal(lo) {
			ourServer = true
		}
	}
	if !ourServer {
		return upgradepath.Hop{}, false
	}
	hop := upgradepath.Hop{Number: 1, Kind: upgradepath.HopAgents, To: lo, Source: "servers"}
	manual := map[string]bool{}
	for _, m := range path.Manual {
		manual[m.Name] = true
	}
	for _, n := range inv.Nodes {
		if n.Role.IsServer() || manual[n.Name] || n.Kubelet == nil || n.Kubelet.Compare(lo) >= 0 {
			continue
		}
		hop.Agents = append(hop.Agents, upgradepath.NodeStep{Name: n.Name, Role: n.Role, Hostname: n.Hostname, From: *n.Kubelet})
		if len(hop.Agents) == 1 || n.Kubelet.Compare(hop.From) < 0 {
			hop.From = *n.Kubelet
		}
	}
	if len(hop.Agents) == 0 {
		return upgradepath.Hop{}, false
	}
	return hop, true
}

// recordFor keeps the path an earlier run recorded when this path continues it, so
// that "hop 2 of 3" survives a resume; else it records this path.
func recordFor(inv *cluster.Inventory, path *upgradepath.Path, ours []upgradev1.Plan, snapshot suc.Record) suc.Record {
	cur := make([]string, 0, len(path.Hops)+1)
	if hop, ok := unfinishedAgents(inv, path, ours); ok {
		cur = append(cur, hop.To.String())
	}
	for _, h := range path.Hops {
		cur = appendOnce(cur, h.To.String())
	}
	rec := suc.Record{Target: path.Target, Path: cur, Snapshot: snapshot.Snapshot, SnapshotNode: snapshot.SnapshotNode}
	for i := range ours {
		r := suc.RecordOf(&ours[i])
		if ours[i].Labels[suc.LabelRole] == suc.RoleSnapshot {
			if rec.Snapshot == "" {
				rec.Snapshot, rec.SnapshotNode = r.Snapshot, r.SnapshotNode
			}
			continue
		}
		if r.Target.String() == path.Target.String() && hasSuffix(r.Path, cur) && len(r.Path) > len(rec.Path) {
			rec.Path = r.Path
		}
		if rec.Snapshot == "" && r.Snapshot != "" {
			rec.Snapshot, rec.SnapshotNode = r.Snapshot, r.SnapshotNode
		}
	}
	return rec
}

func hasSuffix(all, suffix []string) bool {
	if len(suffix) > len(all) {
		return false
	}
	off := len(all) - len(suffix)
	for i := range suffix {
		if all[off+i] != suffix[i] {
			return false
		}
	}
	return true
}

func appendOnce(list []string, s string) []string {
	if len(list) > 0 && list[len(list)-1] == s {
		return list
	}
	return append(list, s)
}

// cordonedBefore are the nodes of the phase that the operator had cordoned before
// our Plan ran: recorded when the Plan is first written (the controller cordons the
// nodes it upgrades, so later it cannot be told apart), kept from then on.
func cordonedBefore(inv *cluster.Inventory, hop upgradepath.Hop, phase Phase, prev *upgradev1.Plan) []string {
	if prev != nil {
		return suc.RecordOf(prev).Cordoned
	}
	nodes := hop.Agents
	if phase == PhaseServers {
		nodes = hop.Servers
	}
	var out []string
	for _, s := range nodes {
		if n := inventoryNode(inv, s.Name); n != nil && n.Cordoned {
			out = append(out, n.Name)
		}
	}
	return out
}

// canaryAgents picks the agents a canary step upgrades: the first n of the hop when
// its agent Plan does not exist yet, the ones that Plan already selects while they
// are not all done. ok is false once the canary is done, or without one.
func canaryAgents(hop upgradepath.Hop, prev *upgradev1.Plan, n int) ([]upgradepath.NodeStep, bool) {
	if n <= 0 {
		return nil, false
	}
	if prev == nil {
		return hop.Agents[:min(n, len(hop.Agents))], true
	}
	if prev.Annotations[suc.AnnotationCanary] == "" {
		return nil, false
	}
	inFlight := selectedBy(prev, hop.Agents)
	return inFlight, len(inFlight) > 0
}

// selectedBy are the nodes of steps that the Plan p (nil: none) already selects.
func selectedBy(p *upgradev1.Plan, steps []upgradepath.NodeStep) []upgradepath.NodeStep {
	if p == nil {
		return nil
	}
	selected := map[string]bool{}
	for _, h := range suc.SelectedHostnames(p) {
		selected[h] = true
	}
	var out []upgradepath.NodeStep
	for _, s := range steps {
		if selected[s.Hostname] || selected[s.Name] {
			out = append(out, s)
		}
	}
	return out
}
