package upgrade

import (
	"errors"
	"reflect"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// stepFor plans the path to stable on the given nodes and decides the next step.
func stepFor(t *testing.T, agents upgradepath.AgentMode, ours []upgradev1.Plan, specs ...string) (*Step, error) {
	t.Helper()
	inv := testworld.Inventory(t, specs...)
	p, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Channel: "stable", Channels: testworld.Channels(t, "k3s"), Agents: agents})
	if err != nil {
		t.Fatal(err)
	}
	return nextStep(inv, p, ours, suc.DefaultPlanConfig(), suc.Record{}, nil)
}

// ourPlan is one of our Plans as an earlier run left it.
func ourPlan(role, v string, applying ...string) upgradev1.Plan {
	ver := version.MustParse(v)
	hop := upgradepath.Hop{To: ver, From: ver}
	hop.Servers = []upgradepath.NodeStep{{Name: "x", Hostname: "x"}}
	hop.Agents = hop.Servers
	rec := suc.Record{Target: version.MustParse("v1.33.5+k3s1"), Path: []string{"v1.31.13+k3s1", "v1.32.9+k3s1", "v1.33.5+k3s1"}}
	var p *upgradev1.Plan
	if role == suc.RoleServer {
		p = suc.ServerPlan(version.K3s, hop, rec, suc.DefaultPlanConfig())
	} else {
		p = suc.AgentPlan(version.K3s, hop, "", rec, suc.DefaultPlanConfig())
	}
	p.Status.Applying = applying
	return *p
}

func names(steps []upgradepath.NodeStep) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Name)
	}
	return out
}

func TestNextStep(t *testing.T) {
	fresh := testworld.Join(testworld.Uniform("server", "s", 3, "v1.30.14+k3s1"), testworld.Uniform("agent", "a", 2, "v1.30.14+k3s1"))
	serversDone := testworld.Join(testworld.Uniform("server", "s", 3, "v1.31.13+k3s1"), testworld.Uniform("agent", "a", 2, "v1.30.14+k3s1"))
	hopDone := testworld.Join(testworld.Uniform("server", "s", 3, "v1.31.13+k3s1"), testworld.Uniform("agent", "a", 2, "v1.31.13+k3s1"))

	t.Run("a fresh upgrade starts with the first hop's servers", func(t *testing.T) {
		st, err := stepFor(t, upgradepath.AgentsEach, nil, fresh...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseServers || st.HopLabel() != "hop 1 of 3" || st.Resumed || len(st.Prune) != 0 ||
			len(st.Plans) != 1 || st.Plans[0].Name != "kubectl-skew-server-v1.31.13-k3s1" {
			t.Errorf("step = %s %s resumed=%v prune=%v plans=%s", st.HopLabel(), st.Phase, st.Resumed, st.Prune, planNames(st.Plans))
		}
	})
	t.Run("servers done by our Plan: their agents follow before the next hop", func(t *testing.T) {
		st, err := stepFor(t, upgradepath.AgentsEach, []upgradev1.Plan{ourPlan(suc.RoleServer, "v1.31.13+k3s1")}, serversDone...)
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
		st, err := stepFor(t, upgradepath.AgentsEach, nil, serversDone...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseServers || st.Hop.To.String() != "v1.32.9+k3s1" {
			t.Errorf("step = %s to %s", st.Phase, st.Hop.To)
		}
	})
	t.Run("--agents final: no agents phase on an intermediate hop", func(t *testing.T) {
		st, err := stepFor(t, upgradepath.AgentsFinal, []upgradev1.Plan{ourPlan(suc.RoleServer, "v1.31.13+k3s1")}, serversDone...)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != PhaseServers || st.Hop.To.String() != "v1.32.9+k3s1" {
			t.Errorf("step = %s to %s", st.Phase, st.Hop.To)
		}
	})
	t.Run("a done hop's Plans are pruned when the next hop starts; the snapshot's stay", func(t *testing.T) {
		snap := ourPlan(suc.RoleServer, "v1.30.14+k3s1")
		snap.Name, snap.Labels[suc.LabelRole] = "kubectl-skew-snapshot-v1.30.14-k3s1", suc.RoleSnapshot
		ours := []upgradev1.Plan{ourPlan(suc.RoleServer, "v1.31.13+k3s1"), ourPlan(suc.RoleAgent, "v1.31.13+k3s1"), snap}
		st, err := stepFor(t, upgradepath.AgentsEach, ours, hopDone...)
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
		_, err := stepFor(t, upgradepath.AgentsEach, []upgradev1.Plan{ourPlan(suc.RoleServer, "v1.31.13+k3s1"), ourPlan(suc.RoleAgent, "v1.31.13+k3s1", "a-2")}, hopDone...)
		if !errors.Is(err, ErrStillApplying) {
			t.Errorf("err = %v, want ErrStillApplying", err)
		}
	})
	t.Run("a resumed Plan keeps the nodes it named", func(t *testing.T) {
		prev := ourPlan(suc.RoleServer, "v1.31.13+k3s1")
		prev.Spec.NodeSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: cluster.LabelHostname, Operator: metav1.LabelSelectorOpIn, Values: []string{"s-1", "s-2", "s-3"}}}}
		nodes := testworld.Join([]string{"server s-1 v1.31.13+k3s1"}, testworld.Uniform("server", "s", 3, "v1.30.14+k3s1")[1:], testworld.Uniform("agent", "a", 2, "v1.30.14+k3s1"))
		st, err := stepFor(t, upgradepath.AgentsEach, []upgradev1.Plan{prev}, nodes...)
		if err != nil {
			t.Fatal(err)
		}
		if !st.Resumed || !reflect.DeepEqual(suc.SelectedHostnames(st.Plans[0]), []string{"s-1", "s-2", "s-3"}) || !reflect.DeepEqual(names(st.Hop.Servers), []string{"s-2", "s-3"}) {
			t.Errorf("resumed=%v selects %v, follows %v", st.Resumed, suc.SelectedHostnames(st.Plans[0]), names(st.Hop.Servers))
		}
	})
	t.Run("nothing to do", func(t *testing.T) {
		st, err := stepFor(t, upgradepath.AgentsEach, nil, testworld.Join(testworld.Uniform("server", "s", 1, "v1.33.5+k3s1"), testworld.Uniform("agent", "a", 1, "v1.33.5+k3s1"))...)
		if st != nil || err != nil {
			t.Errorf("step = %+v, %v", st, err)
		}
	})
}

func TestUnfinishedAgentsNeedsInventory(t *testing.T) {
	if _, ok := unfinishedAgents(nil, &upgradepath.Path{Agents: upgradepath.AgentsEach}, nil); ok {
		t.Error("no inventory, yet an agents hop")
	}
	inv := &cluster.Inventory{}
	if _, ok := unfinishedAgents(inv, &upgradepath.Path{Agents: upgradepath.AgentsEach}, nil); ok {
		t.Error("no Plan of ours, yet an agents hop")
	}
}

// TestProgressCountsEveryNodeUpgrade: the total is every node upgrade left, the
// agents of a resumed hop included, and the ETA follows the average Job time.
func TestProgressCountsEveryNodeUpgrade(t *testing.T) {
	serversDone := testworld.Join(testworld.Uniform("server", "s", 3, "v1.31.13+k3s1"), testworld.Uniform("agent", "a", 2, "v1.30.14+k3s1"))
	inv := testworld.Inventory(t, serversDone...)
	p, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Channel: "stable", Channels: testworld.Channels(t, "k3s")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := nextStep(inv, p, []upgradev1.Plan{ourPlan(suc.RoleServer, "v1.31.13+k3s1")}, suc.DefaultPlanConfig(), suc.Record{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tl := newTally(p, st, suc.DefaultPlanConfig())
	// 2 agents now, then 3 servers and 2 agents at each of two more hops.
	if got := tl.progress(); got.Total != 12 || got.Done != 0 || got.ETA != 0 {
		t.Fatalf("progress = %+v", got)
	}
	tl.observe(NodeEvent{Kind: NodeFinished, Took: 2 * time.Second}, PhaseAgents)
	if got := tl.progress(); got.Total != 12 || got.Done != 1 || got.ETA != 22*time.Second {
		t.Errorf("progress = %+v, want 1/12 and 11 x 2s left", got)
	}
}

// TestStepRecordsAcceptedHazards: every Plan a run writes records the hazards it
// acknowledged, sorted and once each, so that a re-run with the same flags converges.
func TestStepRecordsAcceptedHazards(t *testing.T) {
	inv := testworld.Inventory(t, testworld.Join(testworld.Uniform("server", "s", 1, "v1.31.13+k3s1"), testworld.Uniform("agent", "a", 1, "v1.31.13+k3s1"))...)
	p, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Channel: "stable", Channels: testworld.Channels(t, "k3s")})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Plans: suc.DefaultPlanConfig(), AcceptHazards: []string{"SKEW902", "SKEW901", "SKEW902"}}
	st, err := nextStep(inv, p, nil, cfg.planConfig(), suc.Record{}, nil)
	if err != nil || st == nil || len(st.Plans) == 0 {
		t.Fatalf("step %+v, %v", st, err)
	}
	for _, plan := range st.Plans {
		if got := plan.Annotations[suc.AnnotationAcceptedHazards]; got != "SKEW901,SKEW902" {
			t.Errorf("Plan %s records %q", plan.Name, got)
		}
	}
}
