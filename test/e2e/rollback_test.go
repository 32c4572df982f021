package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// TestRollbackAfterFailedHop: an upgrade with --snapshot stops at a failed Job; the
// snapshot Job recorded an ETCDSnapshotFile, as K3s does; rollback prints the
// runbook naming it and the previous version, writes its scripts, and changes
// nothing; the node simulator then plays the restore (our Plans gone) and the
// reinstalls: half done, verify says so per node (exit 4); once every node is back,
// verify reports the rollback complete and plain status sees no upgrade.
func TestRollbackAfterFailedHop(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	ctx := context.Background()
	if err := nodesim.InstallSnapshotCRD(ctx, env.sb.Dynamic); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := nodesim.RemoveSnapshotCRD(context.Background(), env.sb.Dynamic); err != nil {
			t.Error(err)
		}
	})
	if r := skew(t, "rollback"); r.code != 1 || !strings.Contains(r.stderr, "nothing to roll back") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("rollback without an upgrade: %s", r)
	}
	env.sb.Nodesim.Fail("k3s-agent-2", "disk full")
	t.Cleanup(func() { env.sb.Nodesim.Clear("k3s-agent-2") })
	if r := upgradeCmd(t, k3sChannels(), "--snapshot", "--yes", "--wait", "--timeout", "90s"); r.code != 1 || !strings.Contains(r.stderr, "disk full") {
		t.Fatalf("want the upgrade to stop at the failed Job: %s", r)
	}
	snaps, err := env.sb.Dynamic.Resource(nodesim.SnapshotResource).List(ctx, metav1.ListOptions{})
	if err != nil || len(snaps.Items) != 1 {
		t.Fatalf("want one ETCDSnapshotFile, got %v (%v)", snaps, err)
	}
	object := snaps.Items[0].GetName()
	// SUC picks agents in no set order: find one the hop upgraded before agent-2 failed.
	upgraded := ""
	for n, v := range nodeKubelets(t) {
		if strings.HasPrefix(n, "k3s-agent") && v == "v1.31.13+k3s1" {
			upgraded = n
		}
	}

	// The runbook: the real snapshot object, the previous version, every step.
	rb := skew(t, "rollback")
	if rb.code != 0 {
		t.Fatalf("rollback: %s", rb)
	}
	for _, want := range []string{"Rollback of k3s from v1.31.13+k3s1 to v1.30.14+k3s1", "ETCDSnapshotFile " + object, "taken by kubectl skew upgrade --snapshot",
		"--cluster-reset-restore-path=/var/lib/rancher/k3s/server/db/snapshots/kubectl-skew-pre-upgrade-v1.30.14-k3s1-k3s-server-1-",
		"Run on server k3s-server-1", "INSTALL_K3S_VERSION=v1.30.14+k3s1", "kubectl skew rollback --verify --expect-version v1.30.14+k3s1"} {
		if !strings.Contains(rb.stdout, want) {
			t.Errorf("runbook lacks %q:\n%s", want, rb.stdout)
		}
	}
	if upgraded != "" && !strings.Contains(rb.stdout, "Agent "+upgraded+" (on v1.31.13+k3s1)") {
		t.Errorf("runbook does not reinstall %s:\n%s", upgraded, rb.stdout)
	}
	if strings.Contains(rb.stdout, "Agent k3s-agent-2") {
		t.Errorf("k3s-agent-2 never left v1.30.14, yet the runbook reinstalls it:\n%s", rb.stdout)
	}
	js := skew(t, "rollback", "-o", "json")
	var book report.RollbackRunbook
	if err := json.Unmarshal([]byte(js.stdout), &book); err != nil || book.Snapshot == nil || book.Snapshot.Object != object || book.From != "v1.30.14+k3s1" || len(book.Steps) < 8 {
		t.Fatalf("rollback -o json: %v %s", err, js)
	}
	if y := skew(t, "rollback", "-o", "yaml"); y.code != 0 || !strings.Contains(y.stdout, "kind: RollbackRunbook") || !strings.Contains(y.stdout, "object: "+object) {
		t.Errorf("rollback -o yaml: %s", y)
	}
	dir := t.TempDir()
	if r := skew(t, "rollback", "--output-dir", dir); r.code != 0 {
		t.Fatalf("--output-dir: %s", r)
	}
	for _, f := range []string{"cluster.sh", "k3s-server-1.sh", "k3s-server-3.sh", "RUNBOOK.txt"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || (strings.HasSuffix(f, ".sh") && !strings.Contains(string(b), "set -euo pipefail")) {
			t.Errorf("%s: %v\n%s", f, err, b)
		}
	}
	if p := ourPlans(t); len(p) == 0 {
		t.Fatal("the rollback runbook deleted our Plans: it must write nothing")
	}
	if v := skew(t, "rollback", "--verify", "--expect-version", "v1.30.14+k3s1"); v.code != 3 || !strings.Contains(v.stdout, "not started") {
		t.Errorf("verify before the restore: %s", v)
	}

	// The operator restores on k3s-server-1 and reinstalls k3s-server-2, not k3s-server-3 yet.
	annotateAll(t, "k3s-server-1", nodesim.AnnotationRestore, object, nodesim.AnnotationReinstall, "v1.30.14+k3s1")
	annotateAll(t, "k3s-server-2", nodesim.AnnotationReinstall, "v1.30.14+k3s1")
	waitUntil(t, func() bool { return len(ourUpgradePlans(t)) == 0 && nodeKubelets(t)["k3s-server-2"] == "v1.30.14+k3s1" })
	// The snapshot Plan predates the snapshot, so the restore brought it back: the runbook deletes it.
	if r := kubectl(t, "", "delete", "plans", "-n", sandbox.SUCNamespace, "-l", "app.kubernetes.io/managed-by=kubectl-skew"); r.code != 0 {
		t.Fatalf("%s", r)
	}
	half := skew(t, "rollback", "--verify", "--expect-version", "v1.30.14+k3s1")
	if half.code != 4 || !strings.Contains(half.stdout, "half done") || !strings.Contains(half.stdout, "k3s-server-3 (server): kubelet reports v1.31.13+k3s1, not v1.30.14+k3s1") {
		t.Errorf("verify of a half-done rollback: %s", half)
	}
	hj := skew(t, "rollback", "--verify", "--expect-version", "v1.30.14+k3s1", "-o", "json")
	var verdict report.RollbackVerify
	if err := json.Unmarshal([]byte(hj.stdout), &verdict); err != nil || hj.code != 4 || verdict.State != report.RollbackPartial {
		t.Errorf("verify -o json of a half-done rollback: %v %s", err, hj)
	}
	for n, v := range nodeKubelets(t) {
		if v != "v1.30.14+k3s1" {
			annotateAll(t, n, nodesim.AnnotationReinstall, "v1.30.14+k3s1")
		}
	}
	waitUntil(t, func() bool {
		for _, v := range nodeKubelets(t) {
			if v != "v1.30.14+k3s1" {
				return false
			}
		}
		return true
	})
	if v := skew(t, "rollback", "--verify", "--expect-version", "v1.30.14+k3s1"); v.code != 0 || !strings.Contains(v.stdout, "Rollback complete") {
		t.Errorf("verify after the rollback: %s", v)
	}
	if st := skew(t, "status"); st.code != 0 || !strings.Contains(st.stdout, "no upgrade by kubectl-skew") {
		t.Errorf("status after the rollback: %s", st)
	}
}

// annotateAll sets the annotations (key, value, ...) in one patch.
func annotateAll(t *testing.T, node string, kv ...string) {
	t.Helper()
	a := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		a[kv[i]] = kv[i+1]
	}
	body, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": a}})
	patch(t, node, string(body))
}

func waitUntil(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ourPlans are our Plans' names; ourUpgradePlans leaves out the snapshot Plan.
func ourPlans(t *testing.T) []string {
	t.Helper()
	l, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=kubectl-skew"})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range l.Items {
		out = append(out, p.GetName())
	}
	return out
}

func ourUpgradePlans(t *testing.T) []string {
	var out []string
	for _, p := range ourPlans(t) {
		if !strings.HasPrefix(p, "kubectl-skew-snapshot-") {
			out = append(out, p)
		}
	}
	return out
}
