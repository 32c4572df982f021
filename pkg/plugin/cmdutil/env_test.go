package cmdutil_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

func TestNoColor(t *testing.T) {
	env := &cmdutil.Env{Getenv: func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}}
	if env.UseColor(nil) {
		t.Error("NO_COLOR disables colour")
	}
	env.Getenv = func(string) string { return "" }
	if env.UseColor(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}

func TestFlagsForContext(t *testing.T) {
	base := genericclioptions.NewConfigFlags(true)
	*base.KubeConfig, *base.Timeout, *base.CacheDir = "/tmp/fleet.yaml", "5s", "/tmp/cache"
	*base.Impersonate, *base.ImpersonateUID = "auditor", "42"
	*base.ImpersonateGroup = []string{"readers"}
	*base.Context, *base.APIServer, *base.Namespace, *base.ClusterName, *base.BearerToken = "prod", "https://one:6443", "apps", "prod-cluster", "secret"
	f := cmdutil.FlagsForContext(base, "staging")
	if *f.Context != "staging" {
		t.Errorf("context %q, want staging", *f.Context)
	}
	if *f.KubeConfig != "/tmp/fleet.yaml" || *f.Timeout != "5s" || *f.CacheDir != "/tmp/cache" ||
		*f.Impersonate != "auditor" || *f.ImpersonateUID != "42" || strings.Join(*f.ImpersonateGroup, ",") != "readers" {
		t.Errorf("the fleet-wide flags are not carried over: %q %q %q %q %q %v", *f.KubeConfig, *f.Timeout, *f.CacheDir, *f.Impersonate, *f.ImpersonateUID, *f.ImpersonateGroup)
	}
	// What names one cluster stays with the base context.
	if *f.APIServer != "" || *f.Namespace != "" || *f.ClusterName != "" || *f.BearerToken != "" {
		t.Errorf("one cluster's flags leak into another context: server %q namespace %q cluster %q token %q", *f.APIServer, *f.Namespace, *f.ClusterName, *f.BearerToken)
	}
	if *base.Context != "prod" {
		t.Errorf("the base flags changed: context %q", *base.Context)
	}
}

// TestConfirmRefusesWithoutTerminal: off a terminal nothing is asked and nothing is
// read, even an answer waiting on stdin: the command refuses and says what to pass.
func TestConfirmRefusesWithoutTerminal(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if _, err := pw.WriteString("y\n"); err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]io.Reader{"buffer": strings.NewReader("yes\n"), "pipe": pr, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			env := &cmdutil.Env{Streams: genericiooptions.IOStreams{In: in, Out: &out, ErrOut: &out}}
			err := env.Confirm(context.Background(), "Abort the upgrade?", "pass --yes to abort")
			want := "refusing to change the cluster without confirmation: stdin is not a terminal; pass --yes to abort"
			if err == nil || err.Error() != want {
				t.Errorf("Confirm = %v, want %q", err, want)
			}
			if out.Len() != 0 {
				t.Errorf("a refusal asks nothing: %q", out.String())
			}
		})
	}
}

func writeKubeconfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "https://a.example:6443"}
- name: b
  cluster: {server: "https://b.example:6443"}
users:
- name: u
  user: {token: t}
contexts:
- name: zeta
  context: {cluster: b, user: u}
- name: alpha
  context: {cluster: a, user: u}
current-context: alpha
`

func TestNewClientsErrors(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: io.Discard, ErrOut: io.Discard}
	good := writeKubeconfig(t, twoContexts)
	empty := writeKubeconfig(t, "")
	for _, tc := range []struct {
		name, kubeconfig, context, want string
	}{
		{"missing context", good, "nope", `load kubeconfig: context "nope" does not exist in ` + good + "; 'kubectl config get-contexts' lists them"},
		{"no cluster", empty, "", "no cluster configured: the kubeconfig (" + empty + ") has no clusters; set --kubeconfig or KUBECONFIG, or use --server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			flags := genericclioptions.NewConfigFlags(false)
			*flags.KubeConfig, *flags.Context = tc.kubeconfig, tc.context
			if _, err := cmdutil.NewClients(flags, streams); err == nil || err.Error() != tc.want {
				t.Errorf("NewClients = %v\nwant %s", err, tc.want)
			}
		})
	}
	flags := genericclioptions.NewConfigFlags(false)
	*flags.KubeConfig = good
	c, err := cmdutil.NewClients(flags, streams)
	if err != nil || c.Server != "https://a.example:6443" || c.Kube == nil || c.Dynamic == nil || c.Discovery == nil || c.Config == nil {
		t.Errorf("NewClients on the current context: %+v, %v", c, err)
	}
}
