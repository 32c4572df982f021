package status_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/internal/clitest"
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
