package status_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func TestStatus(t *testing.T) {
	clitest.StartChannelServer(t)
	c := clitest.NewSUCCluster(t, clitest.K3sHA())
	none := c.Run(t, "status")
	if none.Code != 0 || !strings.Contains(none.Stdout, "No upgrade") {
		t.Fatalf("exit %d\n%s\n%s", none.Code, none.Stdout, none.Stderr)
	}
	if r := c.Run(t, "upgrade", "--yes"); r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
	}
	r := c.Run(t, "status", "-o", "json")
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
	}
	var rep struct {
		Kind    string
		Summary struct {
			State, Target, Phase string
			Hop, Hops, Pending   int
		}
		Nodes []struct{ Name, State string }
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	if rep.Kind != "StatusReport" || s.State != "in-progress" || s.Target != "v1.33.5+k3s1" || s.Hop != 1 || s.Hops != 3 || s.Phase != "servers" || s.Pending != 1 || len(rep.Nodes) != 1 { // one server at a time
		t.Errorf("%+v", rep)
	}
}

func TestStatusBadFlags(t *testing.T) {
	sc := clitest.K3sCluster("v1.30.14+k3s1", 1, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"status", "--rancher-cluster", "/x"}, "use NAMESPACE/NAME"},
		{[]string{"status", "-o", "name"}, "unknown output format"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}

// TestStatusMidUpgradeGolden: status on a K3s cluster in hop 2 of 3 (hop 1's server
// and agent Plans complete, hop 2's server Plan on s-2), as text, wide and JSON; with
// s-2's Job failed it exits 3 with the failure, its message and the rollback advice.
// It writes nothing.
func TestStatusMidUpgradeGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		failed bool
		args   []string
		code   int
		// want is the summary: state, hop/hops, phase, done/applying/pending/failed.
		want string
	}{
		{"k3s-hop2.txt", false, nil, cmdutil.ExitOK, ""},
		{"k3s-hop2.wide.txt", false, []string{"-o", "wide"}, cmdutil.ExitOK, ""},
		{"k3s-hop2.json", false, []string{"-o", "json"}, cmdutil.ExitOK, "in-progress 2/3 servers 1/1/1/0 v1.31.13+k3s1"},
		{"k3s-hop2-failed.txt", true, nil, cmdutil.ExitFindings, ""},
		{"k3s-hop2-failed.json", true, []string{"-o", "json"}, cmdutil.ExitFindings, "failed 2/3 servers 1/0/1/1 v1.31.13+k3s1"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			c := clitest.K3sHop2(t, tc.failed)
			r := c.Run(t, append([]string{"status"}, tc.args...)...)
			if r.Code != tc.code || r.Stderr != "" {
				t.Fatalf("exit %d, want %d; stderr %q", r.Code, tc.code, r.Stderr)
			}
			clitest.Golden(t, tc.golden, r.Stdout)
			if w := c.Writes(); len(w) != 0 {
				t.Errorf("status wrote: %v", w)
			}
			if tc.want == "" {
				return
			}
			var rep struct {
				Summary struct {
					State, Phase, From              string
					Hop, Hops                       int
					Done, Applying, Pending, Failed int
				}
				Failures []struct{ Node, Job, Message string }
			}
			if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
				t.Fatal(err)
			}
			s := rep.Summary
			got := fmt.Sprintf("%s %d/%d %s %d/%d/%d/%d %s", s.State, s.Hop, s.Hops, s.Phase, s.Done, s.Applying, s.Pending, s.Failed, s.From)
			if got != tc.want {
				t.Errorf("summary %q, want %q", got, tc.want)
			}
			if tc.failed && (len(rep.Failures) != 1 || rep.Failures[0].Node != "s-2" || !strings.Contains(rep.Failures[0].Message, "BackoffLimitExceeded")) {
				t.Errorf("failures %+v: s-2's Job with its reason", rep.Failures)
			}
		})
	}
}

// TestStatusRollbackAdviceInHop2 pins the rollback advice status prints in hop 2.
//
// TestStatusRollbackAdviceInHop2: in hop 2 of 3 the snapshot to restore is the one
// taken before the hop, on its from-version (v1.31.13+k3s1), as kubectl skew
// rollback itself picks: one taken before the upgrade holds v1.30.
func TestStatusRollbackAdviceInHop2(t *testing.T) {
	c := clitest.K3sHop2(t, true)
	r := c.Run(t, "status")
	want := "1. Downgrades are not supported: roll back by restoring the newest snapshot taken before this hop started (k3s etcd-snapshot ls; one taken on v1.31.13+k3s1) with v1.31.13+k3s1;"
	if !strings.Contains(r.Stdout, want) {
		t.Errorf("the advice changed (see the BUG note):\n%s", r.Stdout)
	}
}
