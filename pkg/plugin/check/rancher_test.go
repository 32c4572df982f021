package check_test

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// management is a Rancher v2.11 management cluster with the provisioned RKE2 cluster
// fleet-default/prod-east and the imported K3s cluster c-m-abc12345 (edge-k3s).
func management(t *testing.T, prodEast clitest.Provisioned, edge clitest.Imported) *clitest.Management {
	objs := append(prodEast.Objects(t), edge.Objects()...)
	return clitest.NewManagement(t, append(objs, clitest.Rancher211()...)...)
}

// TestCheckRancherGolden: --rancher-cluster checks a provisioned cluster from its CAPI
// Machines and an imported one from its management Nodes (by Cluster name or display
// name), and a target against the versions this Rancher supports.
func TestCheckRancherGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		moving bool
		args   []string
		code   int
	}{
		{"rancher-prod-east.txt", false, []string{"--rancher-cluster", "fleet-default/prod-east"}, cmdutil.ExitOK},
		{"rancher-prod-east.json", false, []string{"--rancher-cluster", "prod-east", "-o", "json"}, cmdutil.ExitOK},
		{"rancher-prod-east-moving.txt", true, []string{"--rancher-cluster", "fleet-default/prod-east"}, cmdutil.ExitOK},
		{"rancher-prod-east-target-v1.34.txt", false, []string{"--rancher-cluster", "fleet-default/prod-east", "--target", "v1.34"}, cmdutil.ExitFindings},
		{"rancher-edge-k3s.txt", false, []string{"--rancher-cluster", "c-m-abc12345"}, cmdutil.ExitOK},
		{"rancher-edge-k3s.wide.txt", false, []string{"--rancher-cluster", "edge-k3s", "-o", "wide"}, cmdutil.ExitOK},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			prodEast := clitest.ProdEast()
			if tc.moving {
				prodEast = clitest.ProdEastMoving()
			}
			m := management(t, prodEast, clitest.EdgeK3s())
			r := m.Run(t, append([]string{"check"}, tc.args...)...)
			if r.Code != tc.code || r.Stderr != "" {
				t.Fatalf("exit %d, want %d; stderr %q", r.Code, tc.code, r.Stderr)
			}
			clitest.Golden(t, tc.golden, r.Stdout)
			if w := m.Writes(); len(w) != 0 {
				t.Errorf("check wrote: %v", w)
			}
		})
	}
}

func TestCheckRancherReportNamesTheCluster(t *testing.T) {
	for ref, want := range map[string]string{"prod-east": "rancher:fleet-default/prod-east", "edge-k3s": "rancher-imported:c-m-abc12345"} {
		m := management(t, clitest.ProdEast(), clitest.EdgeK3s())
		r := m.Run(t, "check", "--rancher-cluster", ref, "-o", "json")
		var rep struct {
			Kind    string
			Context string
			Nodes   []any
		}
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil || rep.Kind != "CheckReport" || rep.Context != want {
			t.Errorf("%s: %v, kind %q context %q, want %q", ref, err, rep.Kind, rep.Context, want)
		}
	}
}

// TestCheckRancherImportedTarget: a target this Rancher does not support is a SKEW605
// error for an imported K3s cluster too.
//
// TestCheckRancherImportedTarget: --target v1.34 carries no distribution; on a K3s
// cluster the message names no RKE2 default (it once named RKE2's as the default
// "for new Kubernetes clusters").
func TestCheckRancherImportedTarget(t *testing.T) {
	m := management(t, clitest.ProdEast(), clitest.EdgeK3s())
	r := m.Run(t, "check", "--rancher-cluster", "edge-k3s", "--target", "v1.34")
	if r.Code != cmdutil.ExitFindings || !strings.Contains(r.Stdout, "SKEW605") {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if strings.Contains(r.Stdout, "new Kubernetes clusters") || strings.Contains(r.Stdout, "rke2r1") {
		t.Errorf("a K3s cluster's target must not be judged against RKE2's default: %s", r.Stdout)
	}
}

func TestCheckRancherErrors(t *testing.T) {
	noMachines := clitest.ProdEast()
	noMachines.Machines = nil
	twin := clitest.EdgeK3s()
	twin.Name = "c-m-def67890"
	for _, tc := range []struct {
		name string
		objs func(t *testing.T) []runtime.Object
		ref  string
		want string
	}{
		{"provisioned cluster missing", func(t *testing.T) []runtime.Object { return clitest.ProdEast().Objects(t) }, "fleet-default/nope",
			"provisioning.cattle.io Cluster fleet-default/nope not found on this management cluster; kubectl get clusters.provisioning.cattle.io -A lists them"},
		{"a name that is no cluster", func(t *testing.T) []runtime.Object { return clitest.EdgeK3s().Objects() }, "nope",
			"provisioning.cattle.io Cluster fleet-default/nope not found on this management cluster"},
		{"no machines", func(t *testing.T) []runtime.Object { return noMachines.Objects(t) }, "fleet-default/prod-east",
			"cluster fleet-default/prod-east has no CAPI Machines (label cluster.x-k8s.io/cluster-name=prod-east): it is not a provisioned (v2) cluster, or it has no nodes yet"},
		{"display name of two clusters", func(t *testing.T) []runtime.Object { return append(clitest.EdgeK3s().Objects(), twin.Objects()...) }, "edge-k3s",
			`"edge-k3s" is the display name of 2 imported clusters (c-m-abc12345, c-m-def67890): name one by its Cluster name`},
		{"imported cluster without nodes", func(t *testing.T) []runtime.Object { return clitest.EdgeK3s().Objects()[:1] }, "edge-k3s",
			"imported cluster c-m-abc12345 has no management.cattle.io Nodes in namespace c-m-abc12345: Rancher has not seen its nodes yet (is its cattle-cluster-agent connected?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := clitest.NewManagement(t, tc.objs(t)...)
			r := m.Run(t, "check", "--rancher-cluster", tc.ref)
			if r.Code != cmdutil.ExitError || r.Stdout != "" || !strings.HasPrefix(r.Stderr, "error: "+tc.want) || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want one line starting %q", r.Code, r.Stdout, r.Stderr, tc.want)
			}
		})
	}
}
