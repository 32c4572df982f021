package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// TestRewritesLeaveJobsInFlight: the real SUC builds each Job's pod template from its
// Plan (the Plan's own labels and annotations included) and, when the template it
// would build no longer matches a Job in flight, deletes that Job and creates it
// anew: the upgrade starts over on its node. So neither a re-run that asks for other
// settings nor abort's mark may change what shapes a Job while one runs. The node's
// Job keeps its UID through both, and no node starts its upgrade twice.
func TestRewritesLeaveJobsInFlight(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	env.sb.Nodesim.SetDelay(4 * time.Second)
	since := time.Now()
	args := []string{"--version", "v1.31.13+k3s1", "--yes"}
	if r := upgradeCmd(t, k3sChannels(), args...); r.code != 0 {
		t.Fatalf("upgrade: %s", r)
	}
	waitFor(t, "k3s-server-1's Job", func() (bool, string) {
		for _, e := range eventsSince(since) {
			if e.Event == nodesim.EventJobStarted && e.Node == "k3s-server-1" {
				return true, ""
			}
		}
		return false, "not started"
	})
	uid := jobUID(t, "k3s-server-1")

	// A re-run that acknowledges a hazard the first did not: the Plan keeps the
	// record it was created with, and says so.
	r := upgradeCmd(t, k3sChannels(), append(args, "--accept-hazard", "SKEW907")...)
	if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "keeps") {
		t.Errorf("the re-run with another setting: want exit 0 and a note that the Plan keeps its settings:\n%s", r)
	}
	time.Sleep(time.Second) // the controller's turn
	if got := jobUID(t, "k3s-server-1"); got != uid {
		t.Errorf("the re-run replaced k3s-server-1's Job in flight (uid %s, now %s)", uid, got)
	}

	// abort marks the Plan, narrowed to the node in flight, and waits for it.
	if r := skew(t, "abort", "--yes"); r.code != 0 {
		t.Fatalf("abort: %s", r)
	}
	starts := 0
	for _, e := range eventsSince(since) {
		if e.Event == nodesim.EventJobStarted {
			starts++
			if e.Node != "k3s-server-1" {
				t.Errorf("%s started upgrading: %+v", e.Node, e)
			}
		}
	}
	if starts != 1 {
		t.Errorf("k3s-server-1's upgrade started %d times, want once", starts)
	}
}

// jobUID is the UID of the newest SUC Job for node ("" when there is none).
func jobUID(t *testing.T, node string) types.UID {
	t.Helper()
	l, err := env.sb.Client.BatchV1().Jobs(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: nodesim.LabelNode + "=" + node})
	if err != nil {
		t.Fatal(err)
	}
	var uid types.UID
	var newest time.Time
	for _, j := range l.Items {
		if c := j.CreationTimestamp.Time; uid == "" || c.After(newest) {
			uid, newest = j.UID, c
		}
	}
	return uid
}
