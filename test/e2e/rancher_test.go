package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/test/ranchersim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

const rancherCluster = "fleet-default/prod-east"

// rancherFixture seeds a provisioned RKE2 cluster on v1.31 (one etcd, one control-plane
// and two worker machines) and Rancher's settings, and holds the sandbox for the test.
func rancherFixture(t *testing.T, annotations map[string]string) {
	t.Helper()
	env.mu.Lock()
	t.Cleanup(env.mu.Unlock)
	ctx := context.Background()
	f := ranchersim.Fixture{Namespace: "fleet-default", Name: "prod-east", Version: "v1.31.13+rke2r1",
		Machines: []ranchersim.MachineSpec{
			{Name: "prod-east-etcd-1", Roles: []string{"etcd"}},
			{Name: "prod-east-cp-1", Roles: []string{"control-plane"}},
			{Name: "prod-east-pool1-1", Roles: []string{"worker"}},
			{Name: "prod-east-pool1-2", Roles: []string{"worker"}},
		},
		Settings: map[string]string{"ui-k8s-supported-versions-range": ">= 1.29.0-0 <= 1.33.x-0", "rke2-default-version": "v1.32.12+rke2r1",
			"k3s-default-version": "v1.32.11+k3s3", "server-version": "v2.12.1"},
	}
	if err := ranchersim.Seed(ctx, env.sb.Client, env.sb.Dynamic, f); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ranchersim.Remove(context.Background(), env.sb.Dynamic, f.Namespace, f.Name) })
	if len(annotations) > 0 {
		annotateRancher(t, annotations)
	}
}

func annotateRancher(t *testing.T, annotations map[string]string) {
	t.Helper()
	var parts []string
	for k, v := range annotations {
		if v == "" {
			parts = append(parts, fmt.Sprintf("%q:null", k))
		} else {
			parts = append(parts, fmt.Sprintf("%q:%q", k, v))
		}
	}
	body := `{"metadata":{"annotations":{` + strings.Join(parts, ",") + `}}}`
	if _, err := env.sb.Dynamic.Resource(rancher.ClusterResource).Namespace("fleet-default").Patch(context.Background(), "prod-east", types.MergePatchType, []byte(body), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func rancherState(t *testing.T) *rancher.State {
	t.Helper()
	s, err := rancher.Read(context.Background(), env.sb.Dynamic, "fleet-default", "prod-east")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rancherMoves are the simulated node moves of prod-east since t0.
func rancherMoves(since time.Time) []ranchersim.Event {
	var out []ranchersim.Event
	for _, e := range env.sb.Rancher.Events() {
		if e.Cluster == rancherCluster && e.Time.After(since) {
			out = append(out, e)
		}
	}
	return out
}

// TestRancherUpgradeTwoHopsThenRollback: check and plan work from Rancher's objects;
// upgrade takes a snapshot, then moves the cluster one minor per hop to the target
// (v1.31 -> v1.32 -> v1.33), never skipping; rollback restores the snapshot taken
// before the last hop, with its version.
func TestRancherUpgradeTwoHopsThenRollback(t *testing.T) {
	rancherFixture(t, nil)
	if r := skew(t, "check", "--rancher-cluster", rancherCluster); r.code != 0 || !strings.Contains(r.stdout, "RKE2 cluster, control plane v1.31.13+rke2r1, 4 nodes (2 servers, 2 agents)") {
		t.Errorf("check: %s", r)
	}
	if r := skew(t, "check", "--rancher-cluster", rancherCluster, "--target", "v1.34"); r.code != 3 || !strings.Contains(r.stdout, "SKEW605") || !strings.Contains(r.stdout, "outside the versions this Rancher v2.12.1 supports") {
		t.Errorf("check --target v1.34 must name Rancher's range: %s", r)
	}
	p := skew(t, "plan", "--rancher-cluster", rancherCluster, "--version", rke2Target, "--channel-server", rke2Channels())
	if p.code != 0 || !strings.Contains(p.stdout, "v1.32.12+rke2r1") || !strings.Contains(p.stdout, "kubectl skew upgrade --rancher-cluster fleet-default/prod-east --version "+rke2Target) {
		t.Errorf("plan: %s", p)
	}
	for _, ch := range []string{"stable", "latest"} {
		if l := skew(t, "plan", "--rancher-cluster", rancherCluster, "--channel", ch, "--channel-server", rke2Channels()); l.code != 3 || !strings.Contains(l.stdout, "SKEW605") {
			t.Errorf("plan to %s (beyond Rancher v2.12's range, which ends at v1.33) must be blocked: %s", ch, l)
		}
	}

	since := time.Now()
	up := skew(t, "upgrade", "--rancher-cluster", rancherCluster, "--version", rke2Target, "--channel-server", rke2Channels(), "--yes", "--wait", "--timeout", "1m")
	if up.code != 0 {
		t.Fatalf("upgrade: %s", up)
	}
	if testing.Verbose() {
		t.Logf("%s", up)
	}
	for _, want := range []string{"--snapshot is on by default", "hop 1 of 2 -> v1.32.12+rke2r1", "snapshot: Finished", "snapshot: prod-east-etcd-snapshot-prod-east-etcd-1-",
		"  rancher: ", "hop 2 of 2 -> v1.33.12+rke2r1", "Upgrade complete: every machine of fleet-default/prod-east runs v1.33.12+rke2r1"} {
		if !strings.Contains(up.stdout, want) {
			t.Errorf("upgrade output lacks %q\n%s", want, up)
		}
	}
	checkRancherOrder(t, rancherMoves(since), "v1.31.13+rke2r1", "v1.32.12+rke2r1", "v1.33.12+rke2r1")
	s := rancherState(t)
	if s.Cluster.KubernetesVersion != "v1.33.12+rke2r1" || len(s.Snapshots) != 2 || s.Cluster.Annotations[rancher.AnnotationSnapshotFrom] != "v1.32.12+rke2r1" {
		t.Errorf("after the upgrade: spec %s, %d snapshots, recorded %v", s.Cluster.KubernetesVersion, len(s.Snapshots), s.Cluster.Annotations)
	}
	obj, err := env.sb.Dynamic.Resource(rancher.ClusterResource).Namespace("fleet-default").Get(context.Background(), "prod-east", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	managers := map[string]bool{}
	for _, m := range obj.GetManagedFields() {
		managers[m.Manager] = true
	}
	if !managers[rancher.FieldManager] {
		t.Errorf("our writes carry no field manager %q: %v", rancher.FieldManager, managers)
	}
	again := skew(t, "upgrade", "--rancher-cluster", rancherCluster, "--version", rke2Target, "--channel-server", rke2Channels(), "--yes", "--wait")
	if again.code != 0 || !strings.Contains(again.stdout, "Nothing to do") || len(rancherState(t).Snapshots) != 2 {
		t.Errorf("a second upgrade must change nothing: %s", again)
	}

	st := skew(t, "status", "--rancher-cluster", rancherCluster)
	if st.code != 0 || !strings.Contains(st.stdout, "idle") || !strings.Contains(st.stdout, "ROLLBACK: prod-east-etcd-snapshot-") || !strings.Contains(st.stdout, "Kubernetes v1.32.12+rke2r1") {
		t.Errorf("status: %s", st)
	}
	if r := skew(t, "rollback", "--rancher-cluster", rancherCluster); r.code != 1 || !strings.Contains(r.stderr, "pass --yes") {
		t.Errorf("rollback without a terminal must ask for --yes: %s", r)
	}
	if r := skew(t, "rollback", "--rancher-cluster", rancherCluster, "--snapshot", "other-cluster-etcd-snapshot-1", "--yes"); r.code != 1 || !strings.Contains(r.stderr, "a snapshot of another cluster is never restored") {
		t.Errorf("rollback of a foreign snapshot: %s", r)
	}
	since = time.Now()
	rb := skew(t, "rollback", "--rancher-cluster", rancherCluster, "--yes", "--timeout", "1m")
	if rb.code != 0 || !strings.Contains(rb.stdout, "restore: Finished") || !strings.Contains(rb.stdout, "ignores the concurrency and drain settings") || !strings.Contains(rb.stdout, "every machine runs v1.32.12+rke2r1") {
		t.Fatalf("rollback: %s", rb)
	}
	for _, e := range rancherMoves(since) {
		if !e.Restore || e.To != "v1.32.12+rke2r1" {
			t.Errorf("rollback move %+v", e)
		}
	}
	if s := rancherState(t); s.Cluster.KubernetesVersion != "v1.32.12+rke2r1" || s.ControlPlane.AppliedVersion != "v1.32.12+rke2r1" {
		t.Errorf("after the rollback: spec %s, applied %s", s.Cluster.KubernetesVersion, s.ControlPlane.AppliedVersion)
	}
}

// checkRancherOrder: each hop moves every machine by exactly one minor, etcd before
// control plane before workers.
func checkRancherOrder(t *testing.T, moves []ranchersim.Event, path ...string) {
	t.Helper()
	hop := map[string]int{}
	for i, v := range path {
		hop[v] = i
	}
	lastRank := map[string]int{}
	for _, e := range moves {
		if hop[e.To] != hop[e.From]+1 {
			t.Errorf("%s moved %s -> %s: not one hop", e.Machine, e.From, e.To)
		}
		rank := map[string]int{"etcd": 0, "control-plane": 1, "worker": 2}[e.Roles]
		if rank < lastRank[e.To] {
			t.Errorf("%s (%s) moved to %s after a later role", e.Machine, e.Roles, e.To)
		}
		lastRank[e.To] = rank
	}
	if len(moves) != 4*(len(path)-1) {
		t.Errorf("%d moves, want %d", len(moves), 4*(len(path)-1))
	}
}

// TestRancherUpgradeStopsOnError: Rancher reports the control plane in error on the
// second hop: the run stops with Rancher's message, and the version is never set
// further; a failed snapshot stops the run before any version change.
func TestRancherUpgradeStopsOnError(t *testing.T) {
	rancherFixture(t, map[string]string{ranchersim.FailAt: "v1.33.12+rke2r1"})
	up := skew(t, "upgrade", "--rancher-cluster", rancherCluster, "--version", rke2Target, "--channel-server", rke2Channels(), "--yes", "--wait", "--timeout", "1m")
	if up.code != 1 || !strings.Contains(up.stderr, "the control plane of fleet-default/prod-east is in error, as Rancher reports it") || !strings.Contains(up.stderr, "stopped at hop 2 of 2") {
		t.Fatalf("upgrade should stop on Rancher's error: %s", up)
	}
	if st := skew(t, "status", "--rancher-cluster", rancherCluster); st.code != 3 || !strings.Contains(st.stdout, "error") || !strings.Contains(st.stdout, "kubectl skew rollback --rancher-cluster fleet-default/prod-east") {
		t.Errorf("status after the failure: %s", st)
	}

	annotateRancher(t, map[string]string{ranchersim.FailAt: "", ranchersim.SnapshotFail: "true"})
	before := rancherState(t).Cluster.KubernetesVersion
	// The failed hop finishes once the fault is gone; then the next run's snapshot fails.
	waitFor(t, "the failed hop to finish", func() (bool, string) {
		s := rancherState(t)
		return s.ProgressTo(before).Done, s.Condition("Ready").Message
	})
	onceFixed := skew(t, "upgrade", "--rancher-cluster", rancherCluster, "--version", "v1.33.12+rke2r1", "--channel-server", rke2Channels(), "--yes", "--wait", "--timeout", "1m")
	if onceFixed.code != 0 || !strings.Contains(onceFixed.stdout, "Nothing to do") {
		t.Errorf("the cluster reached v1.33 once the fault was gone: %s", onceFixed)
	}
}

// TestRancherSnapshotFailureStopsFirst: a snapshot that fails stops the run before
// the version is changed.
func TestRancherSnapshotFailureStopsFirst(t *testing.T) {
	rancherFixture(t, map[string]string{ranchersim.SnapshotFail: "true"})
	up := skew(t, "upgrade", "--rancher-cluster", rancherCluster, "--version", rke2Target, "--channel-server", rke2Channels(), "--yes", "--wait", "--timeout", "1m")
	if up.code != 1 || !strings.Contains(up.stderr, "etcd snapshot failed") || !strings.Contains(up.stderr, "the version was not changed") {
		t.Fatalf("upgrade should stop on the failed snapshot: %s", up)
	}
	if s := rancherState(t); s.Cluster.KubernetesVersion != "v1.31.13+rke2r1" {
		t.Errorf("the version changed after a failed snapshot: %s", s.Cluster.KubernetesVersion)
	}
}

// TestRancherPermissions: a user who may read Rancher's objects but not patch a
// Cluster gets check and plan, and an upgrade refused before anything is written,
// naming the permission.
func TestRancherPermissions(t *testing.T) {
	rancherFixture(t, nil)
	if r := skew(t, "check", "--context", sandbox.ContextRancherViewer, "--rancher-cluster", rancherCluster); r.code != 0 {
		t.Errorf("a viewer's check: %s", r)
	}
	// What an upgrade writes (the version, our annotations), not the resourceVersion:
	// the simulated Rancher writes the Cluster's status on its own, at any moment.
	written := func() string {
		c := rancherState(t).Cluster
		return fmt.Sprintf("%s %v", c.KubernetesVersion, c.Annotations)
	}
	before := written()
	up := skew(t, "upgrade", "--context", sandbox.ContextRancherViewer, "--rancher-cluster", rancherCluster, "--version", rke2Target, "--channel-server", rke2Channels(), "--yes", "--wait")
	if up.code != 1 || !strings.Contains(up.stderr, "upgrade (rancher, provisioned): forbidden: this identity may not patch clusters.provisioning.cattle.io in fleet-default") {
		t.Errorf("a viewer's upgrade must be refused: %s", up)
	}
	if after := written(); after != before {
		t.Errorf("a refused upgrade wrote the Cluster: %s, was %s", after, before)
	}
	if rb := skew(t, "rollback", "--context", sandbox.ContextRancherViewer, "--rancher-cluster", rancherCluster, "--snapshot", "x", "--yes"); rb.code != 1 {
		t.Errorf("a viewer's rollback: %s", rb)
	}
}
