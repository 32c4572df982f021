package upgrade

import (
	"errors"
	"reflect"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// stepFor plans the path to stable on the given nodes and decides the next step.
func stepFor(t *testing.T, agents AgentMode, ours []upgradev1.Plan, specs ...string) (*Step, error) {
	t.Helper()
	inv := inventory(t, specs...)
	p, err := PlanPath(Request{Inventory: inv, Channel: "stable", Channels: channelsFixture(t, "k3s"), Agents: agents})
	if err != nil {
		t.Fatal(err)
	}
	return NextStep(inv, p, ours, DefaultPlanConfig(), Record{})
}

// ourPlan is one of our Plans as an earlier run left it.
func ourPlan(role, v string, applying ...string) upgradev1.Plan {
	ver := version.MustParse(v)
	hop := Hop{To: ver, From: ver}
	hop.Servers = []NodeStep{{Name: "x", Hostname: "x"}}
	hop.Agents = hop.Servers
	rec := Record{Target: version.MustParse("v1.33.5+k3s1"), Path: []string{"v1.31.13+k3s1", "v1.32.9+k3s1", "v1.33.5+k3s1"}}
	var p *upgradev1.Plan
	if role == RoleServer {
		p = ServerPlan(version.K3s, hop, rec, DefaultPlanConfig())
	} else {
		p = AgentPlan(version.K3s, hop, "", rec, DefaultPlanConfig())
	}
	p.Status.Applying = applying
	return *p
}

func names(steps []NodeStep) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Name)
	}
	return out
}

func TestNextStep(t *testing.T) {
	fresh := nodesOf(uniform("server", "s", 3, "v1.30.14+k3s1"), uniform("agent", "a", 2, "v1.30.14+k3s1"))
	serversDone := nodesOf(uniform("server", "s", 3, "v1.31.13+k3s1"), uniform("agent", "a", 2, "v1.30.14+k3s1"))
	hopDone := nodesOf(uniform("server", "s", 3, "v1.31.13+k3s1"), uniform("agent", "a", 2, "v1.31.13+k3s1"))

	t.Run("a fresh upgrade starts with the first hop's servers", func(t *testing.T) {
		st, err := stepFor(t, AgentsEach, nil, fresh...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseServers || st.HopLabel() != "hop 1 of 3" || st.Resumed || len(st.Prune) != 0 ||
			len(st.Plans) != 1 || st.Plans[0].Name != "kubectl-skew-server-v1.31.13-k3s1" {
			t.Errorf("step = %s %s resumed=%v prune=%v plans=%s", st.HopLabel(), st.Phase, st.Resumed, st.Prune, Names(st.Plans))
		}
	})
	t.Run("servers done by our Plan: their agents follow before the next hop", func(t *testing.T) {
		st, err := stepFor(t, AgentsEach, []upgradev1.Plan{ourPlan(RoleServer, "v1.31.13+k3s1")}, serversDone...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseAgents || !st.Hop.To.Equal(version.MustParse("v1.31.13+k3s1")) || st.HopLabel() != "hop 1 of 3" {
			t.Fatalf("step = %s %s to %s", st.HopLabel(), st.Phase, st.Hop.To)
		}
		if got := names(st.Hop.Agents); !reflect.DeepEqual(got, []string{"a-1", "a-2"}) {
			t.Errorf("agents = %v", got)
		}
		if p := st.Plans[0]; p.Spec.Prepare == nil || p.Spec.Prepare.Args[1] != "kubectl-skew-server-v1.31.13-k3s1" || p.Spec.Drain == nil {
			t.Errorf("agent Plan prepare=%v drain=%v", p.Spec.Prepare, p.Spec.Drain)
		}
	})
	t.Run("servers done by someone else: the planner's path stands", func(t *testing.T) {
		st, err := stepFor(t, AgentsEach, nil, serversDone...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseServers || st.Hop.To.String() != "v1.32.9+k3s1" {
			t.Errorf("step = %s to %s", st.Phase, st.Hop.To)
		}
	})
	t.Run("--agents final: no agents phase on an intermediate hop", func(t *testing.T) {
		st, err := stepFor(t, AgentsFinal, []upgradev1.Plan{ourPlan(RoleServer, "v1.31.13+k3s1")}, serversDone...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseServers || st.Hop.To.String() != "v1.32.9+k3s1" {
			t.Errorf("step = %s to %s", st.Phase, st.Hop.To)
		}
	})
	t.Run("a done hop's Plans are pruned when the next hop starts; the snapshot's stay", func(t *testing.T) {
		snap := ourPlan(RoleServer, "v1.30.14+k3s1")
		snap.Name, snap.Labels[LabelRole] = "kubectl-skew-snapshot-v1.30.14-k3s1", RoleSnapshot
		ours := []upgradev1.Plan{ourPlan(RoleServer, "v1.31.13+k3s1"), ourPlan(RoleAgent, "v1.31.13+k3s1"), snap}
		st, err := stepFor(t, AgentsEach, ours, hopDone...)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.Prune, []string{"kubectl-skew-server-v1.31.13-k3s1", "kubectl-skew-agent-v1.31.13-k3s1"}) {
			t.Errorf("prune = %v", st.Prune)
		}
		if st.HopLabel() != "hop 2 of 3" {
			t.Errorf("the recorded path was lost: %s (%v)", st.HopLabel(), st.Record.Path)
		}
	})
	t.Run("a Plan of ours still applying is not deleted", func(t *testing.T) {
		_, err := stepFor(t, AgentsEach, []upgradev1.Plan{ourPlan(RoleServer, "v1.31.13+k3s1"), ourPlan(RoleAgent, "v1.31.13+k3s1", "a-2")}, hopDone...)
		if !errors.Is(err, ErrStillApplying) {
			t.Errorf("err = %v, want ErrStillApplying", err)
		}
	})
	t.Run("a resumed Plan keeps the nodes it named", func(t *testing.T) {
		prev := ourPlan(RoleServer, "v1.31.13+k3s1")
		prev.Spec.NodeSelector = hostnameSelector([]NodeStep{{Name: "s-1"}, {Name: "s-2"}, {Name: "s-3"}}, nil)
		nodes := nodesOf([]string{"server s-1 v1.31.13+k3s1"}, uniform("server", "s", 3, "v1.30.14+k3s1")[1:], uniform("agent", "a", 2, "v1.30.14+k3s1"))
		st, err := stepFor(t, AgentsEach, []upgradev1.Plan{prev}, nodes...)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Resumed || !reflect.DeepEqual(SelectedHostnames(st.Plans[0]), []string{"s-1", "s-2", "s-3"}) || !reflect.DeepEqual(names(st.Hop.Servers), []string{"s-2", "s-3"}) {
			t.Errorf("resumed=%v selects %v, follows %v", st.Resumed, SelectedHostnames(st.Plans[0]), names(st.Hop.Servers))
		}
	})
	t.Run("nothing to do", func(t *testing.T) {
		st, err := stepFor(t, AgentsEach, nil, nodesOf(uniform("server", "s", 1, "v1.33.5+k3s1"), uniform("agent", "a", 1, "v1.33.5+k3s1"))...)
		if st != nil || err != nil {
			t.Errorf("step = %+v, %v", st, err)
		}
	})
}

func TestUnfinishedAgentsNeedsInventory(t *testing.T) {
	if _, ok := unfinishedAgents(nil, &Path{Agents: AgentsEach}, nil); ok {
		t.Error("no inventory, yet an agents hop")
	}
	inv := &cluster.Inventory{}
	if _, ok := unfinishedAgents(inv, &Path{Agents: AgentsEach}, nil); ok {
		t.Error("no Plan of ours, yet an agents hop")
	}
}

// TestProgressCountsEveryNodeUpgrade: the total is every node upgrade left, the
// agents of a resumed hop included, and the ETA follows the average Job time.
func TestProgressCountsEveryNodeUpgrade(t *testing.T) {
	serversDone := nodesOf(uniform("server", "s", 3, "v1.31.13+k3s1"), uniform("agent", "a", 2, "v1.30.14+k3s1"))
	inv := inventory(t, serversDone...)
	p, err := PlanPath(Request{Inventory: inv, Channel: "stable", Channels: channelsFixture(t, "k3s")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := NextStep(inv, p, []upgradev1.Plan{ourPlan(RoleServer, "v1.31.13+k3s1")}, DefaultPlanConfig(), Record{})
	if err != nil {
		t.Fatal(err)
	}
	tl := newTally(p, st, DefaultPlanConfig())
	// 2 agents now, then 3 servers and 2 agents at each of two more hops.
	if got := tl.progress(); got.Total != 12 || got.Done != 0 || got.ETA != 0 {
		t.Fatalf("progress = %+v", got)
	}
	tl.observe(NodeEvent{Kind: NodeFinished, Took: 2 * time.Second}, PhaseAgents)
	if got := tl.progress(); got.Total != 12 || got.Done != 1 || got.ETA != 22*time.Second {
		t.Errorf("progress = %+v, want 1/12 and 11 x 2s left", got)
	}
}
