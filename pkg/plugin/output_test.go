package plugin_test

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// TestKubectlOutputFormats: every command that prints a typed report takes
// cli-runtime's formats, jsonpath and go-template included.
func TestKubectlOutputFormats(t *testing.T) {
	clitest.StartChannelServer(t)
	c := clitest.NewSUCCluster(t, clitest.K3sHA())
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check", "-o", "jsonpath={.kind}"}, "CheckReport"},
		{[]string{"plan", "-o", "jsonpath={.kind}"}, "PlanReport"},
		{[]string{"channels", "-o", "jsonpath={.kind}"}, "ChannelsReport"},
		{[]string{"status", "-o", "jsonpath={.kind}"}, "StatusReport"},
		{[]string{"version", "-o", "jsonpath={.kind}"}, "VersionInfo"},
		{[]string{"check", "-o", "go-template={{.kind}}"}, "CheckReport"},
		{[]string{"check", "-o", "jsonpath", "--template", "{.apiVersion}"}, "kubectl-skew.io/v1alpha1"},
		{[]string{"upgrade", "--dry-run", "-o", "name"}, "plan.upgrade.cattle.io/kubectl-skew-server-v1.31.13-k3s1\nplan.upgrade.cattle.io/kubectl-skew-agent-v1.31.13-k3s1"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := c.Run(t, tc.args...)
			if r.Code != cmdutil.ExitOK || strings.TrimSpace(r.Stdout) != tc.want {
				t.Errorf("exit %d, stdout %q, want %q; stderr: %s", r.Code, r.Stdout, tc.want, r.Stderr)
			}
		})
	}
}

func TestBadOutputFormat(t *testing.T) {
	c := clitest.NewSUCCluster(t, clitest.K3sHA())
	for _, args := range [][]string{{"check", "-o", "xml"}, {"check", "-o", "name"}, {"check", "-o", "jsonpath={.kind"}, {"check", "--template", "{.kind}"}} {
		r := c.Run(t, args...)
		if r.Code != cmdutil.ExitError || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 || r.Stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line", args, r.Code, r.Stdout, r.Stderr)
		}
	}
}
