package rollback_test

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/internal/clitest"
)

func TestRollbackBadFlags(t *testing.T) {
	sc := clitest.K3sCluster("v1.30.14+k3s1", 1, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"rollback", "--verify"}, "--verify and --expect-version go together"},
		{[]string{"rollback", "--verify", "--expect-version", "1.x"}, `--expect-version "1.x"`},
		{[]string{"rollback", "--snapshot", "s"}, "--snapshot goes with --rancher-cluster"},
		{[]string{"rollback", "--rancher-cluster", "fleet-default/x", "--verify"}, "--rancher-cluster restores through Rancher"},
		{[]string{"rollback", "--verify", "--expect-version", "v1.30.14+k3s1", "--output-dir", t.TempDir()}, "--output-dir writes the runbook; --verify checks its result"},
		{[]string{"rollback", "--rancher-cluster", "fleet-default/x", "--timeout", "0s"}, "--timeout 0s: must be positive"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
