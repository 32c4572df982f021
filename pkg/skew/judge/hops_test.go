package judge

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// minors names the minors (and the exact release, when set) of removed-API hops.
func minors(hops []deprecation.Hop) string {
	var out []string
	for _, h := range hops {
		s := h.Minor.String()
		if h.Version != nil {
			s += "=" + h.Version.String()
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// hop is a path hop to "to" that upgrades the named servers and agents.
func hop(n int, from, to string, servers, agents []string) upgradepath.Hop {
	h := upgradepath.Hop{Number: n, From: version.MustParse(from), To: version.MustParse(to)}
	for _, s := range servers {
		h.Servers = append(h.Servers, upgradepath.NodeStep{Name: s, Role: cluster.RoleServer})
	}
	for _, a := range agents {
		h.Agents = append(h.Agents, upgradepath.NodeStep{Name: a, Role: cluster.RoleAgent})
	}
	return h
}

func TestFrom(t *testing.T) {
	tests := []struct {
		name  string
		inv   *cluster.Inventory
		want  string
		known bool
	}{
		{"no inventory", nil, "", false},
		{"no control plane", testworld.Inventory(t, "agent a1 v1.31.4+k3s1"), "", false},
		{"the oldest server", testworld.Inventory(t, "server s1 v1.32.1+k3s1", "server s2 v1.31.4+k3s1", "agent a1 v1.30.2+k3s1"), "v1.31.4+k3s1", true},
		// An etcd-only server runs no kube-apiserver: it lags without moving From.
		{"not an etcd-only server", testworld.Inventory(t, "server s1 v1.32.1+k3s1", "etcd e1 v1.31.4+k3s1"), "v1.32.1+k3s1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := From(tt.inv)
			if (got != nil) != tt.known {
				t.Fatalf("From = %v, want known %v", got, tt.known)
			}
			if got != nil && got.String() != tt.want {
				t.Errorf("From = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestTargetHops(t *testing.T) {
	inv := testworld.Inventory(t, "server s1 v1.31.4+k3s1", "agent a1 v1.31.4+k3s1")
	unknown := testworld.Inventory(t, "agent a1 v1.31.4+k3s1")
	files := &deprecation.Scan{Files: 1}
	on := Hazards{Enabled: true}
	tests := []struct {
		name     string
		inv      *cluster.Inventory
		cfg      Config
		scan     bool
		apis     string
		hazards  int
		fromNone bool
	}{
		{"nothing asked", inv, Config{Hazards: on}, false, "", 0, false},
		{"-f alone judges the cluster as it is", inv, Config{APIs: APIs{Manifests: files}}, true, "", 0, false},
		{"a minor target", inv, Config{Target: testworld.Target(t, "v1.33"), Hazards: on}, true, "v1.32 v1.33", 2, false},
		{"an exact target", inv, Config{Target: testworld.Target(t, "v1.33.5+k3s1"), Hazards: on}, true, "v1.32 v1.33=v1.33.5+k3s1", 2, false},
		{"hazards off", inv, Config{Target: testworld.Target(t, "v1.33")}, true, "v1.32 v1.33", 0, false},
		{"the target is today's minor", inv, Config{Target: testworld.Target(t, "v1.31"), Hazards: on}, true, "", 0, false},
		{"unknown control plane", unknown, Config{Target: testworld.Target(t, "v1.33"), Hazards: on}, true, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := TargetHops(tt.inv, tt.cfg)
			if h.Scan != tt.scan || minors(h.APIs) != tt.apis || len(h.Hazards) != tt.hazards || (h.From == nil) != tt.fromNone {
				t.Errorf("scan %v, apis %q, %d hazard hops, from %v; want %v, %q, %d, unknown %v",
					h.Scan, minors(h.APIs), len(h.Hazards), h.From, tt.scan, tt.apis, tt.hazards, tt.fromNone)
			}
		})
	}
}

func TestPathHops(t *testing.T) {
	inv := testworld.Inventory(t, "server s1 v1.31.4+k3s1", "agent a1 v1.30.2+k3s1")
	path := &upgradepath.Path{Hops: []upgradepath.Hop{
		hop(1, "v1.30.2+k3s1", "v1.31.4+k3s1", nil, []string{"a1"}),            // agents catch up: no new minor
		hop(2, "v1.31.4+k3s1", "v1.31.9+k3s1", []string{"s1"}, []string{"a1"}), // a patch of today's minor
		hop(3, "v1.31.9+k3s1", "v1.32.5+k3s1", []string{"s1"}, []string{"a1"}), // the first new minor
		hop(4, "v1.32.5+k3s1", "v1.33.1+k3s1", nil, []string{"a1"}),            // agents only
		hop(5, "v1.32.5+k3s1", "v1.33.1+k3s1", []string{"s1"}, nil),            // servers reach v1.33
		hop(6, "v1.33.1+k3s1", "v1.33.2+k3s1", []string{"s1"}, []string{"a1"}), // no new minor
	}}
	on := Config{Hazards: Hazards{Enabled: true}, APIs: APIs{Cluster: true}}
	tests := []struct {
		name    string
		inv     *cluster.Inventory
		path    *upgradepath.Path
		cfg     Config
		scan    bool
		apis    string
		hazards int
	}{
		{"no path", inv, nil, on, false, "", 0},
		{"up to date", inv, &upgradepath.Path{}, on, false, "", 0},
		{"every hop", inv, path, on, true, "v1.32=v1.32.5+k3s1 v1.33=v1.33.1+k3s1", 6},
		{"nothing to scan, hazards off", inv, path, Config{}, false, "v1.32=v1.32.5+k3s1 v1.33=v1.33.1+k3s1", 0},
		{"unknown control plane", testworld.Inventory(t, "agent a1 v1.30.2+k3s1"), path, on, true, "", 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := PathHops(tt.inv, tt.path, tt.cfg)
			if h.Scan != tt.scan || minors(h.APIs) != tt.apis || len(h.Hazards) != tt.hazards {
				t.Errorf("scan %v, apis %q, %d hazard hops; want %v, %q, %d", h.Scan, minors(h.APIs), len(h.Hazards), tt.scan, tt.apis, tt.hazards)
			}
		})
	}
}

// TestPathHazardHopsKnowEarlierHops: each hazard hop knows the kubelets the earlier
// hops moved, and judges with the path's release data.
func TestPathHazardHopsKnowEarlierHops(t *testing.T) {
	p := &upgradepath.Path{Hops: []upgradepath.Hop{
		hop(1, "v1.31.4+k3s1", "v1.32.5+k3s1", []string{"s1"}, []string{"a1"}),
		hop(2, "v1.32.5+k3s1", "v1.33.1+k3s1", []string{"s1"}, nil),
	}}
	hops := pathHazardHops(p)
	if len(hops) != 2 || len(hops[0].Kubelets) != 0 {
		t.Fatalf("hops %+v", hops)
	}
	if got := hops[1].Kubelets; got["s1"] != "v1.32.5+k3s1" || got["a1"] != "v1.32.5+k3s1" {
		t.Errorf("hop 2 kubelets %v, want s1 and a1 on v1.32.5+k3s1", got)
	}
}

func TestHopFor(t *testing.T) {
	p := &upgradepath.Path{Hops: []upgradepath.Hop{
		hop(1, "v1.31.4+k3s1", "v1.31.9+k3s1", []string{"s1"}, nil),
		hop(2, "v1.31.9+k3s1", "v1.32.5+k3s1", []string{"s1"}, nil),
		hop(3, "v1.32.5+k3s1", "v1.33.1+k3s1", []string{"s1"}, nil),
	}}
	tests := []struct {
		minor string
		want  int
	}{
		{"v1.30", 0}, // removed already: the first hop
		{"v1.31", 0},
		{"v1.32", 1},
		{"v1.33", 2},
		{"v1.34", 2}, // beyond the path: the last hop
	}
	for _, tt := range tests {
		m, err := version.ParseMinor(tt.minor)
		if err != nil {
			t.Fatal(err)
		}
		if got := hopFor(p, deprecation.Verdict{Hop: m, Finding: policy.Finding{}}); got != tt.want {
			t.Errorf("verdict at %s: hop index %d, want %d", tt.minor, got, tt.want)
		}
	}
}
