package plan_test

import (
	"encoding/json"
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

// TestPlanRancherGolden: plan --rancher-cluster plans from Rancher's objects: the
// provisioned cluster idle and in its hop to v1.32 (resumed), the imported one, and a
// target beyond what this Rancher supports, blocked with SKEW605 (exit 3). NEXT says
// Rancher moves the nodes itself, with no upgrade image of ours.
func TestPlanRancherGolden(t *testing.T) {
	srv := clitest.StartChannelServer(t)
	for _, tc := range []struct {
		golden string
		moving bool
		args   []string
		code   int
	}{
		{"rancher-prod-east.txt", false, []string{"--rancher-cluster", "fleet-default/prod-east"}, cmdutil.ExitOK},
		{"rancher-prod-east-moving.txt", true, []string{"--rancher-cluster", "fleet-default/prod-east"}, cmdutil.ExitOK},
		{"rancher-prod-east-unsupported.txt", false, []string{"--rancher-cluster", "fleet-default/prod-east", "--version", "v1.34.1+rke2r1"}, cmdutil.ExitFindings},
		{"rancher-prod-east-unsupported.json", false, []string{"--rancher-cluster", "fleet-default/prod-east", "--version", "v1.34.1+rke2r1", "-o", "json"}, cmdutil.ExitFindings},
		{"rancher-edge-k3s.txt", false, []string{"--rancher-cluster", "edge-k3s"}, cmdutil.ExitOK},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			prodEast := clitest.ProdEast()
			if tc.moving {
				prodEast = clitest.ProdEastMoving()
			}
			m := management(t, prodEast, clitest.EdgeK3s())
			r := m.Run(t, append([]string{"plan"}, tc.args...)...)
			if r.Code != tc.code || r.Stderr != "" {
				t.Fatalf("exit %d, want %d; stderr %q", r.Code, tc.code, r.Stderr)
			}
			clitest.Golden(t, tc.golden, srv.Scrub(r.Stdout))
			if w := m.Writes(); len(w) != 0 {
				t.Errorf("plan wrote: %v", w)
			}
			if !strings.HasSuffix(tc.golden, ".json") {
				return
			}
			var rep struct {
				Summary struct{ Blocked bool }
				Hops    []struct {
					To              string
					BlockingHazards []string
					Blocking        []struct{ ID string }
				}
			}
			if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
				t.Fatal(err)
			}
			last := rep.Hops[len(rep.Hops)-1]
			if !rep.Summary.Blocked || last.To != "v1.34.1+rke2r1" || len(last.Blocking) != 1 || last.Blocking[0].ID != "SKEW605" {
				t.Errorf("the hop to v1.34.1+rke2r1 is blocked by SKEW605: %+v", rep)
			}
		})
	}
}
