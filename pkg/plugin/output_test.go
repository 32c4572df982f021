package plugin

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

// TestKubectlOutputFormats: every command that prints a typed report takes
// cli-runtime's formats, jsonpath and go-template included.
func TestKubectlOutputFormats(t *testing.T) {
	startChannelServer(t)
	c := newSUCCluster(t, k3sHA())
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
			r := c.run(t, tc.args...)
			if r.code != cmdutil.ExitOK || strings.TrimSpace(r.stdout) != tc.want {
				t.Errorf("exit %d, stdout %q, want %q; stderr: %s", r.code, r.stdout, tc.want, r.stderr)
			}
		})
	}
}

func TestBadOutputFormat(t *testing.T) {
	c := newSUCCluster(t, k3sHA())
	for _, args := range [][]string{{"check", "-o", "xml"}, {"check", "-o", "name"}, {"check", "-o", "jsonpath={.kind"}, {"check", "--template", "{.kind}"}} {
		r := c.run(t, args...)
		if r.code != cmdutil.ExitError || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 || r.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1 and one line", args, r.code, r.stdout, r.stderr)
		}
	}
}
