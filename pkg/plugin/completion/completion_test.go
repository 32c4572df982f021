package completion_test

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash":       "__start_kubectl-skew",
		"zsh":        "#compdef kubectl-skew",
		"fish":       "complete -c kubectl-skew",
		"powershell": "Register-ArgumentCompleter",
	} {
		r := clitest.Run(t, clitest.Cluster{}, "completion", shell)
		if r.Code != cmdutil.ExitOK || !strings.Contains(r.Stdout, want) {
			t.Errorf("%s: exit %d, output lacks %q", shell, r.Code, want)
		}
	}
	if r := clitest.Run(t, clitest.Cluster{}, "completion", "tcsh"); r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, `invalid argument "tcsh"`) {
		t.Errorf("unknown shell: %d %q", r.Code, r.Stderr)
	}
	// kubectl's plugin completion calls the hidden __complete command.
	r := clitest.Run(t, clitest.Cluster{}, "__complete", "check", "--fail-on", "")
	if !strings.Contains(r.Stdout, "warning") {
		t.Errorf("--fail-on completes its values: %q", r.Stdout)
	}
}
