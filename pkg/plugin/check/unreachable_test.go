package check_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// runReal executes the command with the real Env (real ConfigFlags and clients) and an
// empty kubeconfig, so only the flags in args say where the cluster is.
func runReal(t *testing.T, args ...string) clitest.Result {
	t.Helper()
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBECONFIG", kubeconfig)
	var out, errOut bytes.Buffer
	env := plugin.NewEnv(genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut})
	env.KubectlVersion = nil
	code := plugin.Execute(context.Background(), env, args)
	return clitest.Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

func TestCheckRefusedConnection(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	r := runReal(t, "check", "--server", "https://"+addr, "--insecure-skip-tls-verify")
	if r.Code != cmdutil.ExitError {
		t.Fatalf("exit %d, want 1", r.Code)
	}
	want := "error: list nodes: cannot reach the cluster at https://" + addr + " (connection refused)"
	if !strings.HasPrefix(r.Stderr, want) || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("stderr = %q, want one line starting %q", r.Stderr, want)
	}
	if r.Stdout != "" {
		t.Errorf("stdout = %q", r.Stdout)
	}
}

func TestCheckSilentServerTimesOut(t *testing.T) {
	// Accepts connections and never answers: a black-holed apiserver.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	start := time.Now()
	r := runReal(t, "check", "--server", "https://"+l.Addr().String(), "--insecure-skip-tls-verify", "--request-timeout", "1s")
	took := time.Since(start)
	if r.Code != cmdutil.ExitError {
		t.Fatalf("exit %d, want 1; stderr %q", r.Code, r.Stderr)
	}
	if took > 10*time.Second {
		t.Errorf("took %s: the request timeout must bound the run", took)
	}
	if !strings.Contains(r.Stderr, "within the timeout") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("stderr = %q", r.Stderr)
	}
}

func TestCheckBadKubeconfig(t *testing.T) {
	r := runReal(t, "check", "--kubeconfig", filepath.Join(t.TempDir(), "missing"))
	if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, "kubeconfig") || strings.Count(r.Stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
	}
	r = runReal(t, "check", "--context", "nope")
	if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, `context "nope"`) {
		t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
	}
}
