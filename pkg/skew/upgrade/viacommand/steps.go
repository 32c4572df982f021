package viacommand

import (
	"fmt"
	"slices"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// gateFacts are what the gates read besides the inventory: when each node's
// command ended (a heartbeat must be newer) and the node Leases' renewals.
type gateFacts struct {
	ended  map[string]time.Time
	leases map[string]time.Time
	// unfinished are the nodes whose move to the hop's release a run began and did
	// not finish (the run record): an agent among them must be Ready again.
	unfinished map[string]bool
}

// nextStep is what to do next for the first hop of path on inv, one node at a time
// for servers and up to concurrency agents at once:
//   - a server not on the hop's release yet is the next step, unless a server
//     already on it is not back (Waiting: no server starts before it is);
//   - once every server runs it and is back, and the control plane runs it, the
//     agents not on it go, concurrency at a time;
//   - an agent on it that is not Ready holds the hop back (Waiting).
//
// nil means the hop has nothing left to move.
func nextStep(inv *cluster.Inventory, path *upgradepath.Path, concurrency int, g gateFacts) *upgrade.Step {
	if len(path.Hops) == 0 {
		return nil
	}
	hop := path.Hops[0]
	step := &upgrade.Step{Hop: hop, Phase: upgrade.PhaseServers, Waiting: map[string]string{}}
	// Every server already on the release must be back, whether the planner lists
	// it in this hop or not: a run that resumes after a crash finds one half way.
	for _, n := range inv.Nodes {
		if n.Role.IsServer() && on(&n, hop.To) {
			if missing := upgrade.ServerBack(inv, n.Name, hop.To, g.ended[n.Name], g.leases[n.Name]); missing != "" {
				step.Waiting["server "+n.Name] = missing
			}
		}
	}
	var todo []upgradepath.NodeStep
	for _, s := range hop.Servers {
		if n := node(inv, s.Name); n != nil && !on(n, hop.To) {
			todo = append(todo, s)
		}
	}
	if len(step.Waiting) > 0 {
		return step
	}
	if len(todo) > 0 {
		step.Release = todo[:1]
		return step
	}
	step.Phase = upgrade.PhaseAgents
	var agents []upgradepath.NodeStep
	for _, a := range hop.Agents {
		if n := node(inv, a.Name); n != nil && !on(n, hop.To) {
			agents = append(agents, a)
		}
	}
	// An agent a run moved must be Ready again, listed in this hop or not (a run
	// that resumes finds one half way); one that was NotReady before is the nodes
	// check's business, not a reason to wait.
	for _, n := range inv.Nodes {
		if !n.Role.IsServer() && on(&n, hop.To) && !n.Ready && g.unfinished[n.Name] {
			step.Waiting["agent "+n.Name] = "it runs " + hop.To.String() + " but is not Ready"
		}
	}
	if len(agents) == 0 && len(step.Waiting) == 0 {
		return nil
	}
	if missing := upgrade.ControlPlaneAt(inv, hop.To); missing != "" && len(agents) > 0 {
		step.Waiting[upgrade.WaitingControlPlane] = missing
	}
	if len(step.Waiting) > 0 {
		return step
	}
	step.Release = agents[:min(max(concurrency, 1), len(agents))]
	return step
}

// placed numbers the step's hop as the run record lists the path ("hop 2 of 3").
func placed(step *upgrade.Step, hops []string) {
	if step == nil {
		return
	}
	if i := slices.Index(hops, step.Hop.To.String()); i >= 0 {
		step.Index, step.Total = i+1, len(hops)
	}
}

func node(inv *cluster.Inventory, name string) *cluster.Node {
	for i := range inv.Nodes {
		if inv.Nodes[i].Name == name {
			return &inv.Nodes[i]
		}
	}
	return nil
}

// on reports whether n's kubelet runs at least to.
func on(n *cluster.Node, to version.Version) bool {
	return n.Kubelet != nil && n.Kubelet.Compare(to) >= 0
}

func hopVersions(p *upgradepath.Path) []string {
	out := make([]string, 0, len(p.Hops))
	for _, h := range p.Hops {
		if len(out) == 0 || out[len(out)-1] != h.To.String() {
			out = append(out, h.To.String())
		}
	}
	return out
}

func nodeLine(s upgradepath.NodeStep, to version.Version) string {
	return fmt.Sprintf("%s %s %s -> %s", s.Role, s.Name, s.From, to)
}
