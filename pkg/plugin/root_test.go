package plugin_test

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func TestHelpShowsKubectlSkew(t *testing.T) {
	r := clitest.Run(t, clitest.Cluster{}, "check", "--help")
	if !strings.Contains(r.Stdout, "kubectl skew check [flags]") || !strings.Contains(r.Stdout, "--kubeconfig") {
		t.Errorf("help must read as a kubectl plugin:\n%s", r.Stdout)
	}
}
