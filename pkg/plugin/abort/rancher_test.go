package abort_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// management is a Rancher v2.11 management cluster with the provisioned RKE2 cluster
// fleet-default/prod-east and the imported K3s cluster c-m-abc12345 (edge-k3s).
func management(t *testing.T, edge clitest.Imported) *clitest.Management {
	objs := append(clitest.ProdEast().Objects(t), edge.Objects()...)
	return clitest.NewManagement(t, append(objs, clitest.Rancher211()...)...)
}

// TestAbortRancherImportedGolden: abort --rancher-cluster on an imported cluster says
// where it stands (idle, or a hop under way that goes on to its end), and the dry run
// changes nothing.
func TestAbortRancherImportedGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		edge   clitest.Imported
	}{{"rancher-edge-k3s-dry-run.txt", clitest.EdgeK3s()}, {"rancher-edge-k3s-moving-dry-run.txt", clitest.EdgeK3sMoving()}} {
		t.Run(tc.golden, func(t *testing.T) {
			m := management(t, tc.edge)
			r := m.Run(t, "abort", "--rancher-cluster", "edge-k3s", "--dry-run")
			if r.Code != cmdutil.ExitOK || r.Stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
			}
			clitest.Golden(t, tc.golden, r.Stdout)
			if w := m.Writes(); len(w) != 0 {
				t.Errorf("a dry run wrote: %v", w)
			}
		})
	}
}

// TestAbortRancherImportedAsksTheRunToStop: the abort is our annotation on the
// management Cluster (the time it was asked), one merge patch conditional on the
// resourceVersion read; nothing else changes, the hop under way goes on.
func TestAbortRancherImportedAsksTheRunToStop(t *testing.T) {
	m := management(t, clitest.EdgeK3sMoving())
	r := m.Run(t, "abort", "--rancher-cluster", "edge-k3s", "--yes")
	if r.Code != cmdutil.ExitOK || r.Stderr != "" {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	clitest.Golden(t, "rancher-edge-k3s-moving-abort.txt", r.Stdout)
	patches := m.Patches()
	if len(patches) != 1 || patches[0].Resource != "clusters.management.cattle.io" || patches[0].Name != "c-m-abc12345" || patches[0].Type != "application/merge-patch+json" {
		t.Fatalf("patches %+v, want one merge patch of the management Cluster", patches)
	}
	var body struct {
		Metadata struct {
			Annotations     map[string]string
			ResourceVersion string
		}
		Spec any
	}
	if err := json.Unmarshal([]byte(patches[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339, body.Metadata.Annotations[rancher.AnnotationAbort])
	if err != nil || len(body.Metadata.Annotations) != 1 || body.Metadata.ResourceVersion != "2002" || body.Spec != nil {
		t.Errorf("patch %s: want only the abort annotation (a time, %v), at resourceVersion 2002", patches[0].Body, err)
	}
	if time.Since(at) > time.Minute {
		t.Errorf("the abort annotation %s is not the time of the run", at)
	}
	// status shows the request.
	st := m.Run(t, "status", "--rancher-cluster", "edge-k3s")
	if !strings.Contains(st.Stdout, "; abort was requested at "+body.Metadata.Annotations[rancher.AnnotationAbort]+": a run stops before its next hop") {
		t.Errorf("status after abort:\n%s", st.Stdout)
	}
}

func TestAbortRancherRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, ref, deny, want string
	}{
		{"provisioned cluster", "fleet-default/prod-east", "",
			`abort --rancher-cluster works on clusters imported into Rancher; "fleet-default/prod-east" is not one (a provisioned cluster's run stops with Ctrl-C before its next hop, and kubectl skew rollback --rancher-cluster restores its snapshot)`},
		{"no right to patch the Cluster", "edge-k3s", "patch clusters.management.cattle.io",
			"abort (rancher, imported): forbidden: this identity may not patch clusters.management.cattle.io c-m-abc12345 cluster-wide; nothing was changed; apply deploy/rbac/abort-rancher-imported.yaml (docs/permissions.md) or ask a cluster admin for it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := management(t, clitest.EdgeK3s())
			if tc.deny != "" {
				m.Deny(tc.deny)
			}
			r := m.Run(t, "abort", "--rancher-cluster", tc.ref, "--yes")
			if r.Code != cmdutil.ExitError || r.Stderr != "error: "+tc.want+"\n" {
				t.Errorf("exit %d, stderr %q\nwant %q", r.Code, r.Stderr, tc.want)
			}
			if w := m.Writes(); len(w) != 0 {
				t.Errorf("a refused abort wrote: %v", w)
			}
		})
	}
}
