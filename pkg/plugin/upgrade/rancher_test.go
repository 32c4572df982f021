package upgrade_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// management is a Rancher v2.11 management cluster with the provisioned RKE2 cluster
// fleet-default/prod-east and the imported K3s cluster c-m-abc12345 (edge-k3s).
func management(t *testing.T, prodEast clitest.Provisioned, edge clitest.Imported) *clitest.Management {
	objs := append(prodEast.Objects(t), edge.Objects()...)
	return clitest.NewManagement(t, append(objs, clitest.Rancher211()...)...)
}

// patchBody decodes one merge patch.
func patchBody(t *testing.T, p clitest.Patch) map[string]any {
	t.Helper()
	if p.Type != "application/merge-patch+json" {
		t.Errorf("patch of %s is %s, want a merge patch", p.Name, p.Type)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(p.Body), &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUpgradeRancherProvisionedDryRun(t *testing.T) {
	clitest.StartChannelServer(t)
	m := management(t, clitest.ProdEast(), clitest.EdgeK3s())
	r := m.Run(t, "upgrade", "--rancher-cluster", "fleet-default/prod-east", "--dry-run")
	if r.Code != cmdutil.ExitOK || r.Stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	clitest.Golden(t, "rancher-prod-east-dry-run.txt", r.Stdout)
	if w := m.Writes(); len(w) != 0 {
		t.Errorf("a dry run wrote: %v", w)
	}
}

// TestUpgradeRancherProvisionedSetsTheVersion: without --wait, upgrade sets the first
// hop's version on the provisioning Cluster, one merge patch conditional on the
// resourceVersion it read, with the run's target, and returns.
func TestUpgradeRancherProvisionedSetsTheVersion(t *testing.T) {
	clitest.StartChannelServer(t)
	m := management(t, clitest.ProdEast(), clitest.EdgeK3s())
	r := m.Run(t, "upgrade", "--rancher-cluster", "fleet-default/prod-east", "--yes", "--snapshot=false")
	if r.Code != cmdutil.ExitOK || r.Stderr != "" {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	clitest.Golden(t, "rancher-prod-east-set-version.txt", r.Stdout)
	patches := m.Patches()
	if len(patches) != 1 || patches[0].Resource != "clusters.provisioning.cattle.io" || patches[0].Namespace != "fleet-default" || patches[0].Name != "prod-east" {
		t.Fatalf("patches %+v, want one of the provisioning Cluster", patches)
	}
	want := `{"metadata":{"annotations":{"kubectl-skew.io/rancher-target":"v1.33.5+rke2r1"},"resourceVersion":"1001"},"spec":{"kubernetesVersion":"v1.32.9+rke2r1"}}`
	if got := jsonOf(t, patchBody(t, patches[0])); got != want {
		t.Errorf("patch\n%s\nwant\n%s", got, want)
	}
	cl := m.Get(t, rancher.ClusterResource, "fleet-default", "prod-east")
	if v, _, _ := unstructured.NestedString(cl.Object, "spec", "kubernetesVersion"); v != "v1.32.9+rke2r1" {
		t.Errorf("spec.kubernetesVersion %q after the run", v)
	}
	if w := strings.Join(m.Writes(), ","); w != "patch clusters" {
		t.Errorf("writes %s", w)
	}
}

// rancherSnapshots stands in for Rancher's etcd snapshot controller: a bump of the
// Cluster's etcdSnapshotCreate generation is Finished at once on the RKEControlPlane,
// with one ETCDSnapshot per etcd machine taken at T0+1h on the Cluster's version.
func rancherSnapshots(t *testing.T, m *clitest.Management, p clitest.Provisioned) {
	m.Dyn.PrependReactor("patch", "clusters", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetResource() != rancher.ClusterResource {
			return false, nil, nil
		}
		handled, obj, err := k8stesting.ObjectReaction(m.Dyn.Tracker())(a)
		if err != nil {
			return handled, obj, err
		}
		cl := obj.(*unstructured.Unstructured)
		gen, _, _ := unstructured.NestedInt64(cl.Object, "spec", "rkeConfig", "etcdSnapshotCreate", "generation")
		o, err := m.Dyn.Tracker().Get(rancher.ControlPlaneResource, p.Namespace, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		cp := o.(*unstructured.Unstructured)
		if done, _, _ := unstructured.NestedInt64(cp.Object, "status", "etcdSnapshotCreate", "generation"); gen <= done {
			return handled, obj, err
		}
		_ = unstructured.SetNestedField(cp.Object, gen, "status", "etcdSnapshotCreate", "generation")
		_ = unstructured.SetNestedField(cp.Object, "Finished", "status", "etcdSnapshotCreatePhase")
		if err := m.Dyn.Tracker().Update(rancher.ControlPlaneResource, cp, p.Namespace); err != nil {
			t.Fatal(err)
		}
		version, _, _ := unstructured.NestedString(cl.Object, "spec", "kubernetesVersion")
		for i, n := range []string{"prod-east-cp-1", "prod-east-cp-2", "prod-east-cp-3"} {
			s := clitest.RancherSnapshot{Name: "prod-east-etcd-snapshot-" + n + "-1748775600-local", Node: n,
				CreatedAt: clitest.T0.Add(time.Hour + time.Duration(i)*time.Second), Version: version}
			if err := m.Dyn.Tracker().Add(s.Object(t, p.Namespace, p.Name)); err != nil {
				t.Fatal(err)
			}
		}
		return handled, obj, err
	})
}

// TestUpgradeRancherProvisionedSnapshotFirst: by default a snapshot comes before the
// hop: the generation bump, the snapshot Rancher made recorded on the Cluster with
// the version it was taken on, then the version.
func TestUpgradeRancherProvisionedSnapshotFirst(t *testing.T) {
	clitest.StartChannelServer(t)
	prodEast := clitest.ProdEast()
	m := management(t, prodEast, clitest.EdgeK3s())
	rancherSnapshots(t, m, prodEast)
	r := m.Run(t, "upgrade", "--rancher-cluster", "fleet-default/prod-east", "--yes")
	if r.Code != cmdutil.ExitOK || r.Stderr != "" {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	clitest.Golden(t, "rancher-prod-east-snapshot-then-version.txt", r.Stdout)
	var got []string
	for _, p := range m.Patches() {
		got = append(got, jsonOf(t, patchBody(t, p)))
	}
	want := []string{
		`{"metadata":{"resourceVersion":"1001"},"spec":{"rkeConfig":{"etcdSnapshotCreate":{"generation":1}}}}`,
		`{"metadata":{"annotations":{"kubectl-skew.io/rancher-snapshot":"prod-east-etcd-snapshot-prod-east-cp-1-1748775600-local","kubectl-skew.io/rancher-snapshot-version":"v1.31.13+rke2r1"},"resourceVersion":"1001"}}`,
		`{"metadata":{"annotations":{"kubectl-skew.io/rancher-target":"v1.33.5+rke2r1"},"resourceVersion":"1001"},"spec":{"kubernetesVersion":"v1.32.9+rke2r1"}}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("patches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestUpgradeRancherProvisionedFollowsItsHop: during the hop a run set (spec
// v1.32.9+rke2r1, the control plane configuring prod-east-cp-2), upgrade --wait
// follows it, takes no second snapshot, writes nothing, and reports a stall after
// --timeout without progress.
func TestUpgradeRancherProvisionedFollowsItsHop(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the stall timeout (1s)")
	}
	clitest.StartChannelServer(t)
	m := management(t, clitest.ProdEastMoving(), clitest.EdgeK3s())
	r := m.Run(t, "upgrade", "--rancher-cluster", "fleet-default/prod-east", "--yes", "--wait", "--timeout", "1s")
	want := "error: the control plane's move to v1.32.9+rke2r1 made no progress in 1s (last: 1/5 configuring control plane node(s) prod-east-cp-2: waiting for plan to be applied ); stopped at hop 1 of 2, nothing further was changed (kubectl skew rollback --rancher-cluster fleet-default/prod-east restores the snapshot taken before the hop)\n"
	if r.Code != cmdutil.ExitError || r.Stderr != want {
		t.Fatalf("exit %d\n%s\nstderr %q\nwant   %q", r.Code, r.Stdout, r.Stderr, want)
	}
	if !strings.Contains(r.Stdout, "\nhop 1 of 2 -> v1.32.9+rke2r1\n") || strings.Contains(r.Stdout, "snapshot:") {
		t.Errorf("stdout:\n%s", r.Stdout)
	}
	if w := m.Writes(); len(w) != 0 {
		t.Errorf("following the hop wrote: %v", w)
	}
}

func TestUpgradeRancherProvisionedRefusals(t *testing.T) {
	clitest.StartChannelServer(t)
	broken := clitest.ProdEast()
	broken.Ready, broken.ReadyReason, broken.ReadyMessage = "False", "Error", "etcd member prod-east-cp-3 is unhealthy"
	for _, tc := range []struct {
		name     string
		prodEast clitest.Provisioned
		deny     string
		args     []string
		want     string
	}{
		{"no right to patch the Cluster", clitest.ProdEast(), "patch clusters.provisioning.cattle.io", []string{"--yes"},
			"upgrade (rancher, provisioned): forbidden: this identity may not patch clusters.provisioning.cattle.io in fleet-default; nothing was read or changed; apply deploy/rbac/upgrade-rancher.yaml (docs/permissions.md) or ask a cluster admin for it"},
		{"no right to list Machines", clitest.ProdEast(), "list machines.cluster.x-k8s.io", []string{"--dry-run"},
			"upgrade (rancher, provisioned): forbidden: this identity may not list machines.cluster.x-k8s.io in fleet-default; nothing was read or changed"},
		{"control plane in error", broken, "", []string{"--yes"},
			"refusing to upgrade fleet-default/prod-east: the control plane of fleet-default/prod-east reports an error (Ready=False, reason Error): etcd member prod-east-cp-3 is unhealthy; fix it in Rancher first; nothing was changed"},
		{"a target this Rancher does not support", clitest.ProdEast(), "", []string{"--yes", "--version", "v1.34.1+rke2r1"},
			`refusing to upgrade fleet-default/prod-east: v1.34.1+rke2r1 is outside the versions this Rancher v2.11.3 supports`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := management(t, tc.prodEast, clitest.EdgeK3s())
			if tc.deny != "" {
				m.Deny(tc.deny)
			}
			r := m.Run(t, append([]string{"upgrade", "--rancher-cluster", "fleet-default/prod-east"}, tc.args...)...)
			if r.Code != cmdutil.ExitError || r.Stdout != "" || !strings.HasPrefix(r.Stderr, "error: "+tc.want) || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want one line starting %q", r.Code, r.Stdout, r.Stderr, tc.want)
			}
			if w := m.Writes(); len(w) != 0 {
				t.Errorf("a refused upgrade wrote: %v", w)
			}
		})
	}
	// A dry run asks for no write permission.
	m := management(t, clitest.ProdEast(), clitest.EdgeK3s())
	m.Deny("patch clusters.provisioning.cattle.io")
	if r := m.Run(t, "upgrade", "--rancher-cluster", "fleet-default/prod-east", "--dry-run"); r.Code != cmdutil.ExitOK {
		t.Errorf("dry run without patch: exit %d %s", r.Code, r.Stderr)
	}
}

func TestUpgradeRancherImportedDryRun(t *testing.T) {
	clitest.StartChannelServer(t)
	m := management(t, clitest.ProdEast(), clitest.EdgeK3s())
	r := m.Run(t, "upgrade", "--rancher-cluster", "edge-k3s", "--dry-run")
	if r.Code != cmdutil.ExitOK {
		t.Fatalf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	clitest.Golden(t, "rancher-edge-k3s-dry-run.txt", r.Stdout)
	if r.Stderr != "warning: no etcd snapshot: Rancher takes none of an imported cluster; pass --downstream-context with the cluster's own kubeconfig context to take one first, or run `k3s etcd-snapshot save` on a server\n" {
		t.Errorf("stderr %q", r.Stderr)
	}
	if w := m.Writes(); len(w) != 0 {
		t.Errorf("a dry run wrote: %v", w)
	}
}

// TestUpgradeRancherImportedSetsTheVersion: on an imported cluster upgrade writes, as
// merge patches of the management Cluster conditional on its resourceVersion: the
// removal of an earlier abort request, the strategy asked for, then only
// spec.k3sConfig.kubernetesVersion.
func TestUpgradeRancherImportedSetsTheVersion(t *testing.T) {
	clitest.StartChannelServer(t)
	aborted := clitest.EdgeK3s()
	aborted.Annotations = map[string]string{rancher.AnnotationAbort: "2025-06-01T09:00:00Z"}
	for _, tc := range []struct {
		golden string
		edge   clitest.Imported
		args   []string
		want   []string
	}{
		{"rancher-edge-k3s-set-version.txt", clitest.EdgeK3s(), nil, []string{
			`{"metadata":{"resourceVersion":"2002"},"spec":{"k3sConfig":{"kubernetesVersion":"v1.32.9+k3s1"}}}`}},
		{"rancher-edge-k3s-clear-abort.txt", aborted, []string{"--server-concurrency", "2", "--rancher-drain-agents"}, []string{
			`{"metadata":{"annotations":{"kubectl-skew.io/rancher-abort":null},"resourceVersion":"2002"}}`,
			`{"metadata":{"resourceVersion":"2002"},"spec":{"k3sConfig":{"k3supgradeStrategy":{"drainServerNodes":false,"drainWorkerNodes":true,"serverConcurrency":2,"workerConcurrency":1}}}}`,
			`{"metadata":{"resourceVersion":"2002"},"spec":{"k3sConfig":{"kubernetesVersion":"v1.32.9+k3s1"}}}`}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			m := management(t, clitest.ProdEast(), tc.edge)
			r := m.Run(t, append([]string{"upgrade", "--rancher-cluster", "edge-k3s", "--yes"}, tc.args...)...)
			if r.Code != cmdutil.ExitOK {
				t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
			}
			clitest.Golden(t, tc.golden, r.Stdout)
			var got []string
			for _, p := range m.Patches() {
				if p.Resource != "clusters.management.cattle.io" || p.Name != "c-m-abc12345" {
					t.Errorf("patch of %s %s", p.Resource, p.Name)
				}
				got = append(got, jsonOf(t, patchBody(t, p)))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("patches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			cl := m.Get(t, rancher.ManagementClusterResource, "", "c-m-abc12345")
			if v, _, _ := unstructured.NestedString(cl.Object, "spec", "k3sConfig", "kubernetesVersion"); v != "v1.32.9+k3s1" {
				t.Errorf("spec.k3sConfig.kubernetesVersion %q after the run", v)
			}
		})
	}
}

func TestUpgradeRancherImportedRefusals(t *testing.T) {
	clitest.StartChannelServer(t)
	unmanaged := clitest.EdgeK3s()
	unmanaged.Annotations = map[string]string{rancher.AnnotationVersionManagement: "false"}
	noSUC := clitest.EdgeK3s()
	noSUC.NoManagedSUC = true
	for _, tc := range []struct {
		name string
		edge clitest.Imported
		want string
	}{
		{"version management off", unmanaged, `refusing to upgrade c-m-abc12345: Rancher's version management is off for c-m-abc12345 (its annotation rancher.io/imported-cluster-version-management is "false")`},
		{"no managed system-upgrade-controller", noSUC, `refusing to upgrade c-m-abc12345: the agent of c-m-abc12345 does not run Rancher's managed system-upgrade-controller`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := management(t, clitest.ProdEast(), tc.edge)
			r := m.Run(t, "upgrade", "--rancher-cluster", "edge-k3s", "--yes")
			if r.Code != cmdutil.ExitError || r.Stdout != "" || !strings.HasPrefix(r.Stderr, "error: "+tc.want) || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want one line starting %q", r.Code, r.Stdout, r.Stderr, tc.want)
			}
			if w := m.Writes(); len(w) != 0 {
				t.Errorf("a refused upgrade wrote: %v", w)
			}
		})
	}
}

// TestUpgradeRancherImportedDuringItsHop: in the hop a run set, once the server
// moved and Rancher upgrades the agents, the nodes alone would plan the next hop;
// upgrade follows the hop under way first (status advises exactly that command),
// writing nothing, as it never sets a version twice.
func TestUpgradeRancherImportedDuringItsHop(t *testing.T) {
	clitest.StartChannelServer(t)
	m := management(t, clitest.ProdEast(), clitest.EdgeK3sMoving())
	status := m.Run(t, "status", "--rancher-cluster", "edge-k3s")
	if !strings.Contains(status.Stdout, "kubectl skew upgrade --rancher-cluster c-m-abc12345 --wait follows it") {
		t.Fatalf("status no longer advises --wait:\n%s", status.Stdout)
	}
	r := m.Run(t, "upgrade", "--rancher-cluster", "c-m-abc12345", "--yes")
	if r.Code != 0 || !strings.Contains(r.Stdout, "hop 1 of 2 -> v1.32.9+k3s1") || !strings.Contains(r.Stdout, "Rancher now upgrades the nodes to v1.32.9+k3s1") {
		t.Errorf("exit %d, stdout %q, stderr %q: want the hop under way followed first", r.Code, r.Stdout, r.Stderr)
	}
	if w := m.Writes(); len(w) != 0 {
		t.Errorf("wrote: %v", w)
	}
}
