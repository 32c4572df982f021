package rollback_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// commandRun is a cluster a run of --driver command left in hop 2 of 2, failed on
// s-2: hop 1 moved every node to v1.31.13+k3s1, hop 2 moved s-1 to v1.32.9+k3s1.
func commandRun(t *testing.T, state string) *clitest.SUCCluster {
	t.Helper()
	const v0, v1, v2 = "v1.30.14+k3s1", "v1.31.13+k3s1", "v1.32.9+k3s1"
	c := clitest.NewSUCCluster(t, []clitest.NodeSpec{clitest.Server("s-1", v2), clitest.Server("s-2", v1), clitest.Agent("a-1", v1)})
	c.Serve("k3s.cattle.io/v1", "etcdsnapshotfiles")
	hop1, hop2 := clitest.T0, clitest.T0.Add(2*time.Hour)
	c.Add(t,
		clitest.SnapshotFile("etcd-snapshot-s-1-1", "s-1", hop1.Add(-time.Hour)),
		clitest.SnapshotFile("etcd-snapshot-s-1-2", "s-1", hop2.Add(-10*time.Minute)))
	rec := &runrecord.Record{Driver: "command", Distro: "k3s", Target: v2, Hops: []string{v1, v2}, Holder: "ops@laptop pid 7", Started: hop1, Updated: hop2,
		State: state, Hop: "hop 2 of 2", Node: "s-2", NodeState: runrecord.NodeCommand, Nodes: []runrecord.NodeRecord{
			{Name: "s-1", Role: "server", From: v0, To: v1, State: runrecord.NodeDone, Started: hop1},
			{Name: "s-2", Role: "server", From: v0, To: v1, State: runrecord.NodeDone, Started: hop1.Add(time.Minute)},
			{Name: "a-1", Role: "agent", From: v0, To: v1, State: runrecord.NodeDone, Started: hop1.Add(2 * time.Minute)},
			{Name: "s-1", Role: "server", From: v1, To: v2, State: runrecord.NodeDone, Started: hop2},
			{Name: "s-2", Role: "server", From: v1, To: v2, State: runrecord.NodeFailed, Started: hop2.Add(time.Minute), Message: "the command exited with status 3"},
		}}
	if err := runrecord.Write(context.Background(), c.Kube, runrecord.DefaultNamespace, rec); err != nil {
		t.Fatal(err)
	}
	c.Kube.ClearActions() // what the test then sees written is the command's own
	return c
}

// TestRollbackOfACommandRun: without Plans of ours, rollback reads the run record:
// the runbook goes back from the hop the run moved last to the version it started
// from, with the newest snapshot taken before that hop's first node started.
func TestRollbackOfACommandRun(t *testing.T) {
	c := commandRun(t, runrecord.StateFailed)
	r := c.Run(t, "rollback")
	if r.Code != cmdutil.ExitOK || !strings.Contains(r.Stdout, "Rollback of k3s from v1.32.9+k3s1 to v1.31.13+k3s1") || !strings.Contains(r.Stdout, "etcd-snapshot-s-1-2") {
		t.Errorf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if w := c.Writes(); len(w) != 0 {
		t.Errorf("rollback wrote: %v", w)
	}
}

// TestStatusAndAbortOfACommandRun: status shows a run node by node from any
// workstation; abort asks a running one to stop before its next node, in its record.
func TestStatusAndAbortOfACommandRun(t *testing.T) {
	failed := commandRun(t, runrecord.StateFailed)
	st := failed.Run(t, "status")
	if st.Code != cmdutil.ExitFindings || !strings.Contains(st.Stdout, "--driver command, run by ops@laptop pid 7): failed") || !strings.Contains(strings.Join(strings.Fields(st.Stdout), " "), "s-2 server v1.31.13+k3s1 v1.32.9+k3s1 failed") {
		t.Errorf("status of a failed run: exit %d\n%s%s", st.Code, st.Stdout, st.Stderr)
	}
	running := commandRun(t, runrecord.StateRunning)
	r := running.Run(t, "abort", "--yes")
	if r.Code != cmdutil.ExitOK || !strings.Contains(r.Stdout, "stops before its next node") {
		t.Fatalf("abort: exit %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	rec, err := runrecord.Read(context.Background(), running.Kube, runrecord.DefaultNamespace)
	if err != nil || rec.AbortRequested == "" {
		t.Errorf("abort must leave its request in the record: %+v %v", rec, err)
	}
}
