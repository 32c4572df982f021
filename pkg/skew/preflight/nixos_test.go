package preflight

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

func TestCheckNixOS(t *testing.T) {
	onNixOS := func(w *world, names ...string) *world {
		for i := range w.nodes {
			for _, n := range names {
				if w.nodes[i].Name == n {
					w.nodes[i].Status.NodeInfo.OSImage = "NixOS 25.05 (Warbler)"
				}
			}
		}
		return w
	}
	ubuntu := func(w *world) *world {
		for i := range w.nodes {
			w.nodes[i].Status.NodeInfo.OSImage = "Ubuntu 24.04.2 LTS"
		}
		return w
	}
	rke2 := func(t *testing.T) *world {
		return newWorld(t, testworld.Join(testworld.Uniform("server", "s", 3, "v1.30.14+rke2r1"), testworld.Uniform("agent", "a", 2, "v1.30.14+rke2r1"))...)
	}
	many := func(t *testing.T) *world {
		return newWorld(t, testworld.Join(testworld.Uniform("server", "s", 3, "v1.30.14+k3s1"), testworld.Uniform("agent", "a", 5, "v1.30.14+k3s1"))...)
	}
	tests := []struct {
		name   string
		world  func(t *testing.T) *world
		path   *upgradepath.Path // replaces the planned path when set
		result Result
		msg    []string
		fix    []string
	}{
		{"no NixOS node", func(t *testing.T) *world { return ubuntu(healthyK3s(t)) }, nil, Pass, []string{"no node to upgrade runs NixOS"}, nil},
		{"an osImage the kubelet did not report", healthyK3s, nil, Pass, []string{"no node to upgrade runs NixOS"}, nil},
		{"one NixOS agent", func(t *testing.T) *world { return onNixOS(ubuntu(healthyK3s(t)), "a-2") }, nil, Fail,
			[]string{"1 node to upgrade runs NixOS: a-2 (NixOS 25.05 (Warbler))", "read-only Nix store", "new k3s binary"},
			[]string{"services.k3s.package = pkgs.k3s_1_31 for hop 1, the next minor's for each hop after", "--driver command --command", "--driver manual", "docs/recipes.md"}},
		{"all NixOS, sampled", func(t *testing.T) *world {
			return onNixOS(many(t), "s-1", "s-2", "s-3", "a-1", "a-2", "a-3", "a-4", "a-5")
		}, nil, Fail,
			[]string{"8 nodes to upgrade run NixOS: s-1 (NixOS 25.05 (Warbler)), s-2", "and 3 more"}, nil},
		{"RKE2", func(t *testing.T) *world { return onNixOS(rke2(t), "s-1") }, nil, Fail,
			[]string{"new rke2 binary"}, []string{"services.rke2.package = pkgs.rke2_1_31 for hop 1"}},
		{"a NixOS node the path does not upgrade", func(t *testing.T) *world { return onNixOS(healthyK3s(t), "a-2") },
			&upgradepath.Path{Hops: []upgradepath.Hop{{Servers: []upgradepath.NodeStep{{Name: "s-1"}}, Agents: []upgradepath.NodeStep{{Name: "a-1"}}}}}, Pass,
			[]string{"no node to upgrade runs NixOS"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := defaultOptions()
			f := tc.world(t).facts(t, o)
			if tc.path != nil {
				f.Path = tc.path
			}
			r := Evaluate(f, o)
			if len(r.Checks) != len(CheckOrder) {
				t.Errorf("%d checks, want %d", len(r.Checks), len(CheckOrder))
			}
			c, ok := r.Get(CheckNixOS)
			if !ok {
				t.Fatal("no nixos check")
			}
			if c.Result != tc.result {
				t.Errorf("result %s, want %s: %s", c.Result, tc.result, c.Message)
			}
			for _, w := range tc.msg {
				if !strings.Contains(c.Message, w) {
					t.Errorf("message lacks %q: %s", w, c.Message)
				}
			}
			for _, w := range tc.fix {
				if !strings.Contains(c.Fix, w) {
					t.Errorf("fix lacks %q: %s", w, c.Fix)
				}
			}
			if (c.Result == Fail) != (c.Fix != "") {
				t.Errorf("a fix goes with a failure, and only then: %s %q", c.Result, c.Fix)
			}
			if c.Result == Fail && !strings.Contains(fmt.Sprint(r.Failed()), CheckNixOS) {
				t.Errorf("the refusal does not name the check: %v", r.Failed())
			}
		})
	}
}

// TestNixOSNotForOtherDistros: a cluster that is not K3s or RKE2 fails on the
// distro, and the NixOS check is skipped with the others.
func TestNixOSNotForOtherDistros(t *testing.T) {
	w := newWorld(t, "server cp v1.31.4", "agent w v1.31.4")
	w.nodes[1].Status.NodeInfo.OSImage = "NixOS 25.05 (Warbler)"
	if c, _ := w.run(t, nil).Get(CheckNixOS); c.Result != Skipped {
		t.Errorf("nixos = %s %q, want skipped", c.Result, c.Message)
	}
}

// TestNixOSWithoutAPath: when planning failed there is no path, every node counts,
// and the fix names the attribute's shape rather than a hop's.
func TestNixOSWithoutAPath(t *testing.T) {
	w := healthyK3s(t)
	w.nodes[4].Status.NodeInfo.OSImage = "NixOS 25.05 (Warbler)"
	o := defaultOptions()
	f := w.facts(t, o)
	f.Path = nil
	c, _ := Evaluate(f, o).Get(CheckNixOS)
	if c.Result != Fail || !strings.Contains(c.Message, "a-2 (NixOS 25.05 (Warbler))") || !strings.Contains(c.Fix, "pkgs.k3s_1_NN for each hop's minor") {
		t.Errorf("nixos = %s %q, fix %q", c.Result, c.Message, c.Fix)
	}
}
