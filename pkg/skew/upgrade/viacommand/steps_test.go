package viacommand

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestNextStep: servers one at a time, each back before the next; agents only once
// the control plane runs the hop, concurrency at a time; a node back on the
// release but not Ready holds the hop.
func TestNextStep(t *testing.T) {
	const from, to = "v1.30.14+k3s1", "v1.31.13+k3s1"
	notReady := func(name string) func([]corev1.Node) {
		return func(ns []corev1.Node) {
			for i := range ns {
				if ns[i].Name == name {
					ns[i].Status.Conditions[0].Status = corev1.ConditionFalse
				}
			}
		}
	}
	for _, tc := range []struct {
		name        string
		specs       []string
		edit        func([]corev1.Node)
		concurrency int
		phase       upgrade.Phase
		release     string // the nodes released, comma-joined
		waiting     string // a Waiting key, or ""
	}{
		{"first server", []string{"server s1 " + from, "server s2 " + from, "agent a1 " + from}, nil, 1, upgrade.PhaseServers, "s1", ""},
		{"second server once the first is back", []string{"server s1 " + to, "server s2 " + from, "agent a1 " + from}, nil, 1, upgrade.PhaseServers, "s2", ""},
		{"a server on the release but not back", []string{"server s1 " + to, "server s2 " + from, "agent a1 " + from}, notReady("s1"), 1, upgrade.PhaseServers, "", "server s1"},
		{"agents, two at a time", []string{"server s1 " + to, "agent a1 " + from, "agent a2 " + from, "agent a3 " + from}, nil, 2, upgrade.PhaseAgents, "a1,a2", ""},
		{"an agent back but not Ready", []string{"server s1 " + to, "agent a1 " + to, "agent a2 " + from}, notReady("a1"), 1, upgrade.PhaseAgents, "", "agent a1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := testworld.Nodes(t, tc.specs...)
			if tc.edit != nil {
				tc.edit(nodes)
			}
			inv := cluster.Build(cluster.Objects{Nodes: nodes})
			path, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Version: testworld.Target(t, to), Channels: testworld.Channels(t, "k3s")})
			if err != nil {
				t.Fatal(err)
			}
			st := nextStep(inv, path, tc.concurrency, gateFacts{unfinished: map[string]bool{"a1": true}})
			if st == nil {
				t.Fatal("no step")
			}
			var names []string
			for _, n := range st.Nodes() {
				names = append(names, n.Name)
			}
			if tc.waiting != "" {
				if _, ok := st.Waiting[tc.waiting]; !ok {
					t.Errorf("Waiting = %v, want %q", st.Waiting, tc.waiting)
				}
				return
			}
			if len(st.Waiting) > 0 || st.Phase != tc.phase || strings.Join(names, ",") != tc.release {
				t.Errorf("step %s %v waiting %v, want %s %s", st.Phase, names, st.Waiting, tc.phase, tc.release)
			}
		})
	}
}

// TestNextStepHeartbeat: a server whose command ended counts as back only with a
// heartbeat after it.
func TestNextStepHeartbeat(t *testing.T) {
	const to = "v1.31.13+k3s1"
	nodes := testworld.Nodes(t, "server s1 "+to, "server s2 v1.30.14+k3s1")
	inv := cluster.Build(cluster.Objects{Nodes: nodes})
	path := &upgradepath.Path{Distro: version.K3s, Target: version.MustParse(to), Hops: []upgradepath.Hop{{Number: 1, To: version.MustParse(to),
		Servers: []upgradepath.NodeStep{{Name: "s2", Role: cluster.RoleServer, From: version.MustParse("v1.30.14+k3s1")}}}}}
	st := nextStep(inv, path, 1, gateFacts{ended: map[string]time.Time{"s1": time.Now()}})
	if _, ok := st.Waiting["server s1"]; !ok || len(st.Release) != 0 {
		t.Errorf("no heartbeat since s1's command: want it waited for, got %+v", st)
	}
}

func TestLogName(t *testing.T) {
	for in, want := range map[string]string{
		"k3s-server-1":        "k3s-server-1.log",
		"../../etc/passwd":    ".._.._etc_passwd.log",
		"a;rm -rf $(HOME)`x`": "a_rm_-rf___HOME__x_.log",
		"..":                  "node.log",
		"":                    "node.log",
	} {
		if got := logName(in); got != want {
			t.Errorf("logName(%q) = %q, want %q", in, got, want)
		}
	}
}
