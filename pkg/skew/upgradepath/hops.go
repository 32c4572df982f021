package upgradepath

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// buildHops assigns nodes to each hop, walking a simulated cluster forward, and
// gates each hop with the skew policy on the cluster as it will be then.
func buildHops(p *Path, specs []hopSpec, inv *cluster.Inventory, nodes []planNode, evaluate func(*cluster.Inventory, policy.Options) []policy.Finding) {
	state := make([]version.Version, len(nodes))
	for i, n := range nodes {
		state[i] = n.version
	}
	for si, spec := range specs {
		last := si == len(specs)-1
		hop := Hop{Kind: spec.kind, To: spec.to, Source: spec.source}
		var serverIdx, agentIdx []int
		for i, n := range nodes {
			if n.manual || state[i].Compare(spec.to) >= 0 {
				continue
			}
			switch {
			case n.Role.IsServer():
				if spec.catchUp == nil {
					serverIdx = append(serverIdx, i)
				}
			case spec.catchUp != nil:
				if spec.catchUp[n.Name] {
					agentIdx = append(agentIdx, i)
				}
			case p.Agents == AgentsEach || last:
				agentIdx = append(agentIdx, i)
			}
		}
		if len(serverIdx) == 0 && len(agentIdx) == 0 {
			continue
		}
		if len(serverIdx) == 0 {
			hop.Kind = HopAgents
		}
		if len(serverIdx) > 0 {
			hop.Manual = manualSteps(nodes, spec.to)
		}
		hop.Servers = steps(nodes, state, serverIdx)
		hop.Agents = steps(nodes, state, agentIdx)
		if len(serverIdx) > 0 {
			hop.From = lowest(state, serverIdx)
		} else {
			hop.From = lowest(state, agentIdx)
		}

		// An agents-only hop leaves the control plane where it is: there is no target
		// to check it against, only the rules as they stand.
		var opts policy.Options
		if len(serverIdx) > 0 {
			opts.Target = &version.Target{Version: spec.to, Exact: true}
		}
		before := simulate(inv, nodes, state)
		hop.Findings = policy.AtLeast(evaluate(before, opts), policy.Warning)

		for _, i := range serverIdx {
			state[i] = spec.to
		}
		// The state that must hold the skew rules while the hop runs: its servers done and
		// its agents not yet started; for an agents-only hop, its agents done.
		if len(serverIdx) == 0 {
			for _, i := range agentIdx {
				state[i] = spec.to
			}
		}
		during := policy.AtLeast(evaluate(simulate(inv, nodes, state), policy.Options{}), policy.Error)
		hop.Findings, hop.Blocking = blocking(hop.Findings, during)
		hop.Findings = append(hop.Findings, manualFindings(p, hop.Manual)...)
		for _, i := range agentIdx {
			state[i] = spec.to
		}
		hop.Number = len(p.Hops) + 1
		p.Hops = append(p.Hops, hop)
	}
}

// blocking picks the error findings that stop a hop: those the hop would cause.
// That is a target rule that fires for a subject still wrong while the hop runs
// (a kubelet the hop leaves behind; "target" findings are about the hop itself),
// and an error that appears only while the hop runs. An error that stands before the
// hop and is no target rule is the cluster's state today: "check" reports it, the hop
// lists it, and it blocks only if the hop makes it a target rule's business.
func blocking(gating, during []policy.Finding) (all, blocks []policy.Finding) {
	stillWrong := map[string]bool{}
	for _, f := range during {
		stillWrong[f.Subject] = true
	}
	wrongBefore := map[string]bool{}
	for _, f := range gating {
		if f.Severity != policy.Error {
			continue
		}
		wrongBefore[f.Subject] = true
		if targetRules[f.ID] && (stillWrong[f.Subject] || f.Subject == "target") {
			blocks = append(blocks, f)
		}
	}
	all = gating
	for _, f := range during {
		if !wrongBefore[f.Subject] {
			all = append(all, f)
			blocks = append(blocks, f)
			wrongBefore[f.Subject] = true
		}
	}
	policy.Sort(all)
	policy.Sort(blocks)
	return all, blocks
}

// targetRules are the policy's rules about moving the control plane to a target.
var targetRules = map[string]bool{
	policy.TargetSkipsMinor:       true,
	policy.TargetDowngrade:        true,
	policy.TargetKubeletOutOfSkew: true,
	policy.TargetWrongDistro:      true,
}

func steps(nodes []planNode, state []version.Version, idx []int) []NodeStep {
	out := make([]NodeStep, 0, len(idx))
	for _, i := range idx {
		n := nodes[i]
		out = append(out, NodeStep{Name: n.Name, Role: n.Role, Hostname: n.Hostname, From: state[i]})
	}
	return out
}

func lowest(state []version.Version, idx []int) version.Version {
	var lo version.Version
	for k, i := range idx {
		if k == 0 || state[i].Compare(lo) < 0 {
			lo = state[i]
		}
	}
	return lo
}

// simulate is the inventory with every node at its planned version. A K3s/RKE2
// upgrade replaces the whole release on a node: kubelet, embedded or static-pod
// control plane and kube-proxy move together. The kubectl version is dropped: it
// says nothing about whether the cluster can take the hop.
func simulate(inv *cluster.Inventory, nodes []planNode, state []version.Version) *cluster.Inventory {
	out := *inv
	out.ClientVersion, out.ClientSource = "", ""
	out.Nodes = make([]cluster.Node, len(inv.Nodes))
	moved := map[string]version.Version{}
	for i := range inv.Nodes {
		n := inv.Nodes[i]
		if i < len(nodes) && !state[i].Equal(nodes[i].version) {
			v := state[i]
			moved[n.Name] = v
			n.KubeletVersion, n.Kubelet = v.String(), &v
			if n.KubeProxyVersion != "" {
				n.KubeProxyVersion, n.KubeProxy = v.String(), &v
			}
		}
		out.Nodes[i] = n
	}
	if len(moved) == 0 {
		return &out
	}
	out.ControlPlane = make([]cluster.Instance, len(inv.ControlPlane))
	for i, in := range inv.ControlPlane {
		v, ok := moved[in.Node]
		if !ok {
			out.ControlPlane[i] = in
			continue
		}
		comps := make(map[cluster.Component]cluster.ComponentVersion, len(in.Components))
		for name, c := range in.Components {
			c.Version, c.Parsed, c.Error = v.String(), &v, ""
			comps[name] = c
		}
		out.ControlPlane[i] = cluster.Instance{Node: in.Node, Components: comps}
	}
	return &out
}

// manualSteps says what a hop whose servers move to `to` needs of each node upgraded
// by hand: a kubelet within its window of the new control plane before the hop, and
// ideally the hop's own minor after it.
func manualSteps(nodes []planNode, to version.Version) []ManualStep {
	var out []ManualStep
	for _, n := range nodes {
		if !n.manual {
			continue
		}
		needs := to.MinorVersion().Add(-policy.KubeletWindow(n.version))
		out = append(out, ManualStep{Name: n.Name, From: n.version, Needs: needs, To: to,
			Behind: n.version.MinorVersion().Compare(needs) < 0})
	}
	return out
}

// manualFindings are the hop's SKEW701 findings: what each node upgraded by hand needs.
func manualFindings(p *Path, steps []ManualStep) []policy.Finding {
	byName := map[string]ManualNode{}
	for _, m := range p.Manual {
		byName[m.Name] = m
	}
	out := make([]policy.Finding, 0, len(steps))
	for _, m := range steps {
		sev := policy.Warning
		if m.Behind {
			sev = policy.Error
		}
		id, rule := policy.ManualUpgrade, "A node the upgrade images cannot upgrade is upgraded by hand, within the skew policy of every hop."
		if byName[m.Name].Excluded {
			id, rule = policy.LeftOut, "A node left out of the upgrade must stay within the skew policy of every hop."
		}
		out = append(out, policy.Finding{ID: id, Severity: sev, Subject: "node/" + m.Name, Rule: rule,
			Message: fmt.Sprintf("%s is %s; it runs %s", m.Name, byName[m.Name].Reason, m.From),
			Fix: fmt.Sprintf("upgrade %s by hand: to at least %s before the servers move to %s, and to %s after them",
				m.Name, m.Needs, m.To, m.To.MinorVersion()),
		})
	}
	return out
}
