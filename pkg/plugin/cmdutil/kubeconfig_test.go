package cmdutil_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

func TestKubeconfigLoadsOnceAndBuildsEachContext(t *testing.T) {
	path := writeKubeconfig(t, twoContexts) // alpha on cluster a, zeta on b
	flags := genericclioptions.NewConfigFlags(true)
	*flags.KubeConfig, *flags.Timeout, *flags.Impersonate = path, "7s", "auditor"
	*flags.ImpersonateGroup = []string{"readers"}
	*flags.APIServer, *flags.BearerToken = "https://elsewhere:6443", "secret" // one cluster's flags: not for a fleet
	k := cmdutil.NewKubeconfig(flags, genericiooptions.NewTestIOStreamsDiscard())
	names, err := k.ContextNames()
	if err != nil || strings.Join(names, " ") != "alpha zeta" {
		t.Fatalf("ContextNames = %v, %v", names, err)
	}
	// Read once: a kubeconfig gone after the first read changes nothing.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	for name, server := range map[string]string{"alpha": "https://a.example:6443", "zeta": "https://b.example:6443"} {
		c, err := k.Clients(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cfg := c.Config
		if c.Server != server || cfg.Timeout != 7*time.Second || cfg.Impersonate.UserName != "auditor" ||
			strings.Join(cfg.Impersonate.Groups, ",") != "readers" || cfg.BearerToken != "t" {
			t.Errorf("%s: server %s timeout %v impersonate %+v token %q", name, c.Server, cfg.Timeout, cfg.Impersonate, cfg.BearerToken)
		}
	}
}

func TestKubeconfigErrors(t *testing.T) {
	flags := genericclioptions.NewConfigFlags(true)
	*flags.KubeConfig = filepath.Join(t.TempDir(), "missing")
	k := cmdutil.NewKubeconfig(flags, genericiooptions.NewTestIOStreamsDiscard())
	if _, err := k.ContextNames(); err == nil || !strings.HasPrefix(err.Error(), "load kubeconfig: ") {
		t.Errorf("ContextNames of a missing file: %v", err)
	}
	if _, err := k.Clients("x"); err == nil {
		t.Error("Clients of a missing file: no error")
	}
}
