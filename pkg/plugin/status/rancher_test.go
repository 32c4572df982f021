package status_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// management is a Rancher v2.11 management cluster with the provisioned RKE2 cluster
// fleet-default/prod-east and the imported K3s cluster c-m-abc12345 (edge-k3s).
func management(t *testing.T, prodEast clitest.Provisioned, edge clitest.Imported) *clitest.Management {
	objs := append(prodEast.Objects(t), edge.Objects()...)
	return clitest.NewManagement(t, append(objs, clitest.Rancher211()...)...)
}

// TestStatusRancherGolden: status --rancher-cluster, idle and during a hop, of the
// provisioned cluster (its versions, the control plane's conditions, each machine,
// the snapshot a rollback restores) and of the imported one (what Rancher reports,
// Upgraded and its message, each node).
func TestStatusRancherGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		moving bool
		args   []string
		// want is the JSON's mode, state, kubernetesVersion and appliedVersion.
		want string
	}{
		{"rancher-prod-east.txt", false, []string{"--rancher-cluster", "fleet-default/prod-east"}, ""},
		{"rancher-prod-east-moving.txt", true, []string{"--rancher-cluster", "fleet-default/prod-east"}, ""},
		{"rancher-prod-east-moving.json", true, []string{"--rancher-cluster", "fleet-default/prod-east", "-o", "json"}, "provisioned upgrading v1.32.9+rke2r1 v1.31.13+rke2r1"},
		{"rancher-edge-k3s.txt", false, []string{"--rancher-cluster", "edge-k3s"}, ""},
		{"rancher-edge-k3s-moving.txt", true, []string{"--rancher-cluster", "c-m-abc12345"}, ""},
		{"rancher-edge-k3s-moving.json", true, []string{"--rancher-cluster", "c-m-abc12345", "-o", "json"}, "imported upgrading v1.32.9+k3s1 v1.32.9+k3s1"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			prodEast, edge := clitest.ProdEast(), clitest.EdgeK3s()
			if tc.moving {
				prodEast, edge = clitest.ProdEastMoving(), clitest.EdgeK3sMoving()
			}
			m := management(t, prodEast, edge)
			r := m.Run(t, append([]string{"status"}, tc.args...)...)
			if r.Code != cmdutil.ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d; stderr %q", r.Code, r.Stderr)
			}
			clitest.Golden(t, tc.golden, r.Stdout)
			if w := m.Writes(); len(w) != 0 {
				t.Errorf("status wrote: %v", w)
			}
			if tc.want == "" {
				return
			}
			var rep struct {
				Kind, Mode, State, KubernetesVersion, AppliedVersion string
			}
			if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%s %s %s %s", rep.Mode, rep.State, rep.KubernetesVersion, rep.AppliedVersion); rep.Kind != "RancherStatus" || got != tc.want {
				t.Errorf("%s %q, want RancherStatus %q", rep.Kind, got, tc.want)
			}
		})
	}
}

// TestStatusRancherError: a control plane Rancher reports in error exits 3, and NEXT
// names the rollback that restores the snapshot taken before the hop.
func TestStatusRancherError(t *testing.T) {
	broken := clitest.ProdEastMoving()
	broken.Ready, broken.ReadyReason, broken.ReadyMessage = "False", "Error", "failing worker machine(s) prod-east-worker-2: plan application failed on the node"
	m := management(t, broken, clitest.EdgeK3s())
	r := m.Run(t, "status", "--rancher-cluster", "fleet-default/prod-east")
	if r.Code != cmdutil.ExitFindings || r.Stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	for _, want := range []string{
		"Rancher cluster fleet-default/prod-east (provisioned): error; spec v1.32.9+rke2r1, applied v1.31.13+rke2r1, target v1.33.5+rke2r1",
		"control plane: Ready False, Stable False, Reconciled False: failing worker machine(s) prod-east-worker-2: plan application failed on the node",
		"NEXT: Rancher reports an error: fix its cause, or restore the snapshot taken before the hop: kubectl skew rollback --rancher-cluster fleet-default/prod-east",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
	}
}

// TestStatusRancherImportedAbortRequested: an abort asked for is part of NEXT.
func TestStatusRancherImportedAbortRequested(t *testing.T) {
	edge := clitest.EdgeK3sMoving()
	edge.Annotations = map[string]string{"kubectl-skew.io/rancher-abort": "2025-06-01T10:30:00Z"}
	m := management(t, clitest.ProdEast(), edge)
	r := m.Run(t, "status", "--rancher-cluster", "edge-k3s")
	if r.Code != cmdutil.ExitOK || !strings.Contains(r.Stdout, "; abort was requested at 2025-06-01T10:30:00Z: a run stops before its next hop\n") {
		t.Errorf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
}
