package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// result is one command's outcome.
type result struct {
	stdout, stderr string
	code           int
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\n--- stdout\n%s--- stderr\n%s", r.code, r.took.Round(time.Millisecond), r.stdout, r.stderr)
}

// kubectl runs the pinned kubectl with the sandbox's kubeconfig (or kubeconfig when
// given), the plugin under test on PATH, a throwaway HOME and no colour.
func kubectl(t *testing.T, kubeconfig string, args ...string) result {
	t.Helper()
	return runKubectl(t, kubeconfig, nil, args...)
}

// kubectlWithStdin runs kubectl as the admin with stdin.
func kubectlWithStdin(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	return runKubectl(t, "", stdin, args...)
}

func runKubectl(t *testing.T, kubeconfig string, stdin io.Reader, args ...string) result {
	t.Helper()
	if kubeconfig == "" {
		kubeconfig = env.sb.Kubeconfig
	}
	// A hard stop for a hung command, past the --timeout of the longest upgrades (3m):
	// the fault matrix runs beside these tests, so their upgrades can take twice as long.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// The pinned kubectl (v1.32.2, the apiserver's minor): the user's own may be missing
	// or of any version, and the check reports the kubectl version.
	cmd := exec.CommandContext(ctx, env.sb.Tools.Kubectl, args...)
	cmd.Env = []string{
		"PATH=" + env.path,
		"HOME=" + env.home,
		"KUBECONFIG=" + kubeconfig,
		"NO_COLOR=1",
		"LANG=C.UTF-8",
	}
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("kubectl %s: %v", strings.Join(args, " "), err)
	}
	if ctx.Err() != nil {
		t.Fatalf("kubectl %s: timed out\n%s", strings.Join(args, " "), r)
	}
	return r
}

// skew runs `kubectl skew ARGS` as the admin.
func skew(t *testing.T, args ...string) result {
	t.Helper()
	return kubectl(t, "", append([]string{"skew"}, args...)...)
}

// seed puts a fresh copy of a scenario in the cluster and holds the cluster for the
// test. It always reseeds: a test before may have upgraded nodes or left Plans behind,
// and seeding the small scenarios takes well under a second.
func seed(t *testing.T, scenario string) {
	t.Helper()
	env.mu.Lock()
	t.Cleanup(env.mu.Unlock)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.sb.Seed(ctx, scenario); err != nil {
		t.Fatalf("seed %s: %v", scenario, err)
	}
}

// lines splits output into non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
