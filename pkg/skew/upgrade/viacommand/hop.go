package viacommand

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// underWay puts the hop the run is in front of path until every node of it runs its
// release. Planned afresh from the nodes once the servers moved, the path would let
// the agents skip that hop (they are within skew of the new control plane); the
// order is the SUC driver's: each hop's agents follow its servers. A run that
// resumes finds the hop in the run record.
func underWay(inv *cluster.Inventory, path *upgradepath.Path, cur *upgradepath.Hop, rec *runrecord.Record) (*upgradepath.Path, *upgradepath.Hop) {
	if cur == nil {
		cur = recordedHop(inv, path, rec)
	}
	if cur == nil {
		return path, nil
	}
	// Every node the path still moves and that is below the hop's release belongs to
	// the hop, with what the planner knows of it.
	steps := map[string]upgradepath.NodeStep{}
	for _, h := range path.Hops {
		for _, s := range append(append([]upgradepath.NodeStep(nil), h.Servers...), h.Agents...) {
			if _, ok := steps[s.Name]; !ok {
				steps[s.Name] = s
			}
		}
	}
	hop := upgradepath.Hop{Number: cur.Number, Kind: cur.Kind, From: cur.From, To: cur.To, Source: cur.Source}
	for _, n := range inv.Nodes {
		s, planned := steps[n.Name]
		if !planned || on(&n, cur.To) {
			continue
		}
		if n.Role.IsServer() {
			hop.Servers = append(hop.Servers, s)
		} else {
			hop.Agents = append(hop.Agents, s)
		}
	}
	if len(hop.Servers)+len(hop.Agents) == 0 {
		return path, nil // done: the path goes on from the nodes
	}
	out := *path
	out.Hops = append([]upgradepath.Hop{hop}, path.Hops...)
	if len(path.Hops) > 0 && path.Hops[0].To.Equal(cur.To) {
		out.Hops = append([]upgradepath.Hop{hop}, path.Hops[1:]...)
	}
	return &out, &hop
}

// recordedHop is the hop an earlier run of ours left unfinished, from its record.
func recordedHop(inv *cluster.Inventory, path *upgradepath.Path, rec *runrecord.Record) *upgradepath.Hop {
	if rec == nil || rec.State == runrecord.StateDone || rec.Target != path.Target.String() || len(rec.Nodes) == 0 {
		return nil
	}
	to, err := version.Parse(rec.Nodes[len(rec.Nodes)-1].To)
	if err != nil {
		return nil
	}
	for _, h := range path.Hops {
		if to.LessThan(h.To) || to.Equal(h.To) {
			return &upgradepath.Hop{Number: h.Number, Kind: h.Kind, From: h.From, To: to, Source: "resumed"}
		}
	}
	return nil
}
