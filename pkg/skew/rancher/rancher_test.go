package rancher

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func state(spec, applied string, ready Condition, kubelets ...string) *State {
	s := &State{Cluster: Cluster{Namespace: "fleet-default", Name: "prod", KubernetesVersion: spec},
		ControlPlane: &ControlPlane{AppliedVersion: applied, Conditions: []Condition{ready, {Type: "Stable", Status: "True"}, {Type: "Reconciled", Status: "True"}}}}
	roles := []Machine{{Etcd: true}, {Control: true}, {Worker: true}}
	for i, k := range kubelets {
		m := roles[min(i, 2)]
		m.Name, m.Node, m.KubeletVersion = "m"+string(rune('1'+i)), "n"+string(rune('1'+i)), k
		s.Machines = append(s.Machines, m)
	}
	return s
}

var readyTrue = Condition{Type: "Ready", Status: "True"}

func TestProgressTo(t *testing.T) {
	const v = "v1.32.9+rke2r1"
	for _, tc := range []struct {
		name   string
		s      *State
		done   bool
		failed string
	}{
		{"done", state(v, v, readyTrue, v, v, v), true, ""},
		{"a machine behind", state(v, v, readyTrue, v, v, "v1.31.13+rke2r1"), false, ""},
		{"not applied yet", state(v, "v1.31.13+rke2r1", readyTrue, v, v, v), false, ""},
		{"waiting", state(v, v, Condition{Type: "Ready", Status: "Unknown", Reason: "Waiting", Message: "draining worker node(s) w1"}, v, v, v), false, ""},
		{"error", state(v, "v1.31.13+rke2r1", Condition{Type: "Ready", Status: "False", Reason: "Error", Message: "failing worker machine(s) w1"}, v), false, "failing worker machine(s) w1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.s.ProgressTo(v)
			if p.Done != tc.done || p.Failed != tc.failed {
				t.Errorf("ProgressTo = %+v, want done %v failed %q", p, tc.done, tc.failed)
			}
		})
	}
}

func TestInventoryRoles(t *testing.T) {
	inv := state("v1.31.13+rke2r1", "v1.31.13+rke2r1", readyTrue, "v1.31.13+rke2r1", "v1.31.13+rke2r1", "v1.30.14+rke2r2").Inventory()
	roles := map[string]cluster.Role{}
	for _, n := range inv.Nodes {
		roles[n.Name] = n.Role
	}
	if roles["n1"] != cluster.RoleEtcd || roles["n2"] != cluster.RoleServer || roles["n3"] != cluster.RoleAgent || inv.Distro != version.RKE2 {
		t.Errorf("roles %v, distro %s", roles, inv.Distro)
	}
}

func TestSupported(t *testing.T) {
	st := Settings{SupportedRange: ">= 1.29.0-0 <= 1.33.x-0", ServerVersion: "v2.12.1"}
	for v, ok := range map[string]bool{"v1.33.5+rke2r1": true, "v1.29.0+k3s1": true, "v1.34.1+rke2r1": false, "v1.28.15+rke2r1": false} {
		if err := st.Supported(version.MustParse(v)); (err == nil) != ok {
			t.Errorf("Supported(%s) = %v, want ok %v", v, err, ok)
		}
	}
	if err := (Settings{}).Supported(version.MustParse("v1.40.0+k3s1")); err != nil {
		t.Errorf("without the setting nothing is refused: %v", err)
	}
	if err := (Settings{SupportedRange: ">>>"}).Supported(version.MustParse("v1.30.0+k3s1")); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Errorf("an unreadable range: %v", err)
	}
}

func TestNewSnapshotsByCreatedAt(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	before := []Snapshot{{Name: "b", CreatedAt: t0}, {Name: "a", CreatedAt: t0.Add(time.Minute)}}
	after := append(before, Snapshot{Name: "zz-older-name-but-new", CreatedAt: t0.Add(2 * time.Minute)}, Snapshot{Name: "c", CreatedAt: t0.Add(3 * time.Minute)})
	got := NewSnapshots(before, after)
	if len(got) != 2 || got[0].Name != "zz-older-name-but-new" || got[1].Name != "c" {
		t.Errorf("NewSnapshots = %+v", got)
	}
}

func TestRollbackSnapshot(t *testing.T) {
	s := state("v1.33.5+rke2r1", "v1.33.5+rke2r1", readyTrue)
	s.Snapshots = []Snapshot{{Name: "prod-snap-1", Cluster: "prod"}, {Name: "prod-snap-2", Cluster: "prod", KubernetesVersion: "v1.32.9+rke2r1"}}
	if _, err := s.RollbackSnapshot(""); err == nil || !strings.Contains(err.Error(), "none recorded") {
		t.Errorf("nothing recorded: %v", err)
	}
	s.Cluster.Annotations = map[string]string{AnnotationSnapshot: "prod-snap-1", AnnotationSnapshotFrom: "v1.32.9+rke2r1"}
	if snap, err := s.RollbackSnapshot(""); err != nil || snap.Name != "prod-snap-1" || snap.KubernetesVersion != "v1.32.9+rke2r1" {
		t.Errorf("recorded: %+v, %v", snap, err)
	}
	if snap, err := s.RollbackSnapshot("prod-snap-2"); err != nil || snap.Name != "prod-snap-2" {
		t.Errorf("named: %+v, %v", snap, err)
	}
	if _, err := s.RollbackSnapshot("other-snap"); err == nil || !strings.Contains(err.Error(), "another cluster") {
		t.Errorf("foreign: %v", err)
	}
}

func TestRefusal(t *testing.T) {
	hops := []version.Version{version.MustParse("v1.32.9+rke2r1"), version.MustParse("v1.33.5+rke2r1")}
	for _, tc := range []struct {
		name string
		s    *State
		want string
	}{
		{"idle", state("v1.31.13+rke2r1", "v1.31.13+rke2r1", readyTrue), ""},
		{"resuming our own hop", state("v1.32.9+rke2r1", "v1.31.13+rke2r1", readyTrue), ""},
		{"someone else's change", state("v1.34.1+rke2r1", "v1.31.13+rke2r1", readyTrue), "a change to v1.34.1+rke2r1 is in progress"},
		{"in error", state("v1.31.13+rke2r1", "v1.31.13+rke2r1", Condition{Type: "Ready", Status: "False", Reason: "Error", Message: "etcd down"}), "etcd down"},
		{"outside Rancher's range", func() *State {
			s := state("v1.31.13+rke2r1", "v1.31.13+rke2r1", readyTrue)
			s.Settings.SupportedRange = "<= 1.32.x-0"
			return s
		}(), "v1.33.5+rke2r1 is outside the versions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(tc.s.Refusals(hops), "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("Refusals = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSnapshotMetadataRoundTrip(t *testing.T) {
	m, err := SnapshotMetadata(map[string]any{"kubernetesVersion": "v1.32.9+rke2r1", "rkeConfig": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	if got := specVersion(m); got != "v1.32.9+rke2r1" {
		t.Errorf("specVersion = %q", got)
	}
	for _, bad := range []string{"", "%%%", "e30=", "eyJwcm92aXNpb25pbmctY2x1c3Rlci1zcGVjIjoiISEifQ=="} {
		if got := specVersion(bad); got != "" {
			t.Errorf("specVersion(%q) = %q", bad, got)
		}
	}
}

func FuzzSpecVersion(f *testing.F) {
	m, _ := SnapshotMetadata(map[string]any{"kubernetesVersion": "v1.32.9+rke2r1"})
	f.Add(m)
	f.Add("e30=")
	f.Fuzz(func(t *testing.T, s string) { specVersion(s) })
}
