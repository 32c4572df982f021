package abort_test

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/internal/clitest"
)

func TestAbortBadFlags(t *testing.T) {
	sc := clitest.K3sCluster("v1.30.14+k3s1", 1, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"abort", "--rancher-cluster", "c-m-x", "--yes"}, "is not one"},
		{[]string{"abort", "--timeout", "0s"}, "--timeout 0s: must be positive"},
		{[]string{"abort", "--rancher-cluster", "a/b/c"}, "use NAMESPACE/NAME"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
