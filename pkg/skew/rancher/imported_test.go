package rancher

import (
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

const (
	k30 = "v1.30.14+k3s2"
	k31 = "v1.31.13+k3s1"
	k32 = "v1.32.9+k3s1"
)

// imported builds an idle K3s cluster on spec/status with one server and one agent
// per kubelet given (first a server).
func imported(spec, status string, kubelets ...string) *ImportedState {
	s := &ImportedState{Cluster: ImportedCluster{Name: "c-m-1", Driver: DriverK3s, Version: spec, StatusVersion: status,
		Strategy:   Strategy{ServerConcurrency: 1, WorkerConcurrency: 1},
		Conditions: []Condition{{Type: ConditionUpgraded, Status: "True"}, {Type: "Ready", Status: "True"}}}}
	for i, k := range kubelets {
		s.Nodes = append(s.Nodes, ImportedNode{Name: "m-" + string(rune('a'+i)), Node: "n" + string(rune('1'+i)), ControlPlane: i == 0, Etcd: i == 0, Worker: i > 0, OS: "linux", KubeletVersion: k, Ready: "True"})
	}
	return s
}

func hops(vs ...string) []version.Version {
	out := make([]version.Version, 0, len(vs))
	for _, v := range vs {
		out = append(out, version.MustParse(v))
	}
	return out
}

func TestMatchImported(t *testing.T) {
	clusters := []ImportedCluster{
		{Name: "c-m-a", DisplayName: "edge", Driver: DriverK3s, Version: k30},
		{Name: "c-m-b", DisplayName: "edge", Driver: DriverRKE2, Version: "v1.30.14+rke2r2"},
		{Name: "c-m-c", DisplayName: "solo", Driver: DriverK3s, Version: k30},
		// A provisioned cluster: driver imported, never matched here.
		{Name: "c-m-p", DisplayName: "prov", Driver: "imported"},
		// Driver k3s without its config: Rancher does not manage its version.
		{Name: "c-m-n", DisplayName: "noconf", Driver: DriverK3s},
	}
	for _, tc := range []struct {
		ref, want string
		ambiguous bool
	}{
		{"c-m-a", "c-m-a", false}, {"solo", "c-m-c", false}, {"edge", "", true},
		{"prov", "", false}, {"c-m-p", "", false}, {"noconf", "", false}, {"nothing", "", false},
	} {
		got, err := MatchImported(clusters, tc.ref)
		var amb *AmbiguousError
		if got != tc.want || errors.As(err, &amb) != tc.ambiguous {
			t.Errorf("%s: got %q, %v", tc.ref, got, err)
		}
		if tc.ambiguous && !strings.Contains(err.Error(), "c-m-a, c-m-b") {
			t.Errorf("%s: the error must list the candidates: %v", tc.ref, err)
		}
	}
}

func TestVersionManagement(t *testing.T) {
	for _, tc := range []struct {
		annotation, setting string
		on                  bool
	}{
		{"true", "false", true}, {"false", "true", false}, {"system-default", "false", false}, {"system-default", "true", true},
		{"", "", true}, {"", "false", false}, {"bogus", "true", true},
	} {
		s := imported(k30, k30, k30)
		s.Cluster.Annotations = map[string]string{AnnotationVersionManagement: tc.annotation}
		s.VersionManagementSetting = tc.setting
		if on, why := s.VersionManagement(); on != tc.on || (!on && why == "") {
			t.Errorf("annotation %q setting %q: %v %q", tc.annotation, tc.setting, on, why)
		}
	}
}

func TestImportedRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*ImportedState, *Strategy)
		hops  []version.Version
		wants []string
	}{
		{"ok", nil, hops(k31, k32), nil},
		{"resume: the spec is our hop", func(s *ImportedState, _ *Strategy) {
			s.Cluster.Version = k31
			s.Cluster.Conditions[0].Status = "Unknown"
		}, hops(k31, k32), nil},
		{"version management off", func(s *ImportedState, _ *Strategy) {
			s.Cluster.Annotations = map[string]string{AnnotationVersionManagement: "false"}
		}, hops(k31), []string{"version management is off"}},
		{"managed SUC missing on v2.12", func(s *ImportedState, _ *Strategy) { s.Settings.ServerVersion = "v2.12.1" }, hops(k31), []string{"managed system-upgrade-controller"}},
		{"managed SUC not needed on v2.9", func(s *ImportedState, _ *Strategy) { s.Settings.ServerVersion = "v2.9.3" }, hops(k31), nil},
		{"managed SUC on", func(s *ImportedState, _ *Strategy) {
			s.Settings.ServerVersion = "v2.12.1"
			s.Cluster.AgentFeatures = map[string]bool{FeatureManagedSUC: true}
		}, hops(k31), nil},
		{"server concurrency 0", func(_ *ImportedState, st *Strategy) { st.ServerConcurrency = 0 }, hops(k31), []string{"server concurrency of c-m-1 is 0"}},
		{"worker concurrency 0", func(_ *ImportedState, st *Strategy) { st.WorkerConcurrency = 0 }, hops(k31), []string{"worker concurrency of c-m-1 is 0"}},
		{"upgraded not true", func(s *ImportedState, _ *Strategy) { s.Cluster.Conditions[0].Status = "Unknown" }, hops(k31), []string{"Upgraded condition is Unknown"}},
		{"ready false", func(s *ImportedState, _ *Strategy) { s.Cluster.Conditions[1].Status = "False" }, hops(k31), []string{"Ready condition is False"}},
		{"someone else's skip", func(s *ImportedState, _ *Strategy) { s.Cluster.Version = k32 }, hops(k31), []string{"a change that skips a minor is in progress"}},
		{"a node behind", func(s *ImportedState, _ *Strategy) { s.Nodes[1].KubeletVersion = "v1.30.10+k3s1" }, hops(k31), []string{"node n2 runs v1.30.10+k3s1"}},
		{"a Windows node behind is Rancher's to skip", func(s *ImportedState, _ *Strategy) {
			s.Nodes[1].KubeletVersion, s.Nodes[1].OS = "v1.30.10+k3s1", "windows"
		}, hops(k31), nil},
		{"a skipping hop", nil, hops(k32), []string{"skips a minor after v1.30.14+k3s2"}},
		{"a downgrade", nil, hops("v1.29.15+k3s1"), []string{"a downgrade, which Rancher silently ignores"}},
		{"outside Rancher's range", func(s *ImportedState, _ *Strategy) { s.Settings.SupportedRange = ">= 1.29.0-0 <= 1.30.x-0" }, hops(k31), []string{"outside the versions this Rancher supports"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := imported(k30, k30, k30, k30)
			st := s.Cluster.Strategy
			if tc.edit != nil {
				tc.edit(s, &st)
			}
			got := s.Refusals(tc.hops, st)
			if len(got) != len(tc.wants) {
				t.Fatalf("refusals %q, want %d", got, len(tc.wants))
			}
			for i, w := range tc.wants {
				if !strings.Contains(got[i], w) || strings.Contains(got[i], "\n") {
					t.Errorf("refusal %q lacks %q (or is more than one line)", got[i], w)
				}
			}
		})
	}
}

func TestHopDone(t *testing.T) {
	for _, tc := range []struct {
		name       string
		s          *ImportedState
		sawUnknown bool
		done       bool
	}{
		{"stale True just after our patch", imported(k31, k30, k30, k30), false, false},
		{"True, never Unknown, though everything is on it", imported(k31, k31, k31, k31), false, false},
		{"done", imported(k31, k31, k31, k31), true, true},
		{"status.version behind", imported(k31, k30, k31, k31), true, false},
		{"an agent behind", imported(k31, k31, k31, k30), true, false},
	} {
		if got := tc.s.HopDone(k31, tc.sawUnknown); got != tc.done {
			t.Errorf("%s: done %v", tc.name, got)
		}
	}
	s := imported(k31, k31, k31, k31)
	s.Cluster.Conditions[0].Status = "Unknown"
	if s.HopDone(k31, true) {
		t.Errorf("Upgraded Unknown is not done")
	}
}

func TestGateAndStalled(t *testing.T) {
	s := imported(k31, k31, k31, k31)
	if err := s.Gate(k31); err != nil {
		t.Errorf("gate: %v", err)
	}
	s.Nodes[1].Ready = "False"
	if err := s.Gate(k31); err == nil || !strings.Contains(err.Error(), "node n2 is not Ready") {
		t.Errorf("gate with a node not Ready: %v", err)
	}
	s = imported(k31, k30, k30, k30)
	if err := s.Gate(k31); err == nil || !strings.Contains(err.Error(), "server n1") {
		t.Errorf("gate with the server behind: %v", err)
	}
	s.Cluster.Conditions[0] = Condition{Type: ConditionUpgraded, Status: "Unknown", Message: "controlplane node [n1] being upgraded"}
	if got := s.Stalled(k31); !strings.Contains(got, "node n1 is still on v1.30.14+k3s2") || !strings.Contains(got, "controlplane node [n1] being upgraded") {
		t.Errorf("stalled: %s", got)
	}
	if a, b := s.ProgressKey(k31), imported(k31, k30, k31, k30).ProgressKey(k31); a == b {
		t.Errorf("a node moving must change the progress key")
	}
}

func TestImportedInventory(t *testing.T) {
	s := imported(k30, k30, k30, k30, k30)
	s.Nodes = append(s.Nodes, ImportedNode{Name: "m-e", Node: "e1", Etcd: true, OS: "linux", KubeletVersion: k30, Ready: "True"})
	inv := s.Inventory()
	servers := 0
	for _, n := range inv.Nodes {
		if n.Role == "server" || n.Role == "etcd" {
			servers++
		}
	}
	if inv.Distro != version.K3s || len(inv.Nodes) != 4 || servers != 2 {
		t.Errorf("inventory: %s, %d nodes, %d servers", inv.Distro, len(inv.Nodes), servers)
	}
}
