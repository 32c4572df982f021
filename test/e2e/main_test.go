// Package e2e runs the freshly built kubectl-skew through real kubectl plugin discovery
// against the sandbox: a real kube-apiserver and etcd (and the system-upgrade-controller
// with the node simulator), started once for the package. `go test -short` skips it;
// without the tools (`make tools`) it fails and says so.
package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// env is the package's shared world, set up by TestMain.
var env struct {
	sb *sandbox.Sandbox
	// bin holds the kubectl-skew under test; path is what commands run with.
	bin  string
	path string
	home string
	root string
	// mu serialises tests that reseed the one cluster.
	mu sync.Mutex
}

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode (needs the sandbox: make tools)")
		os.Exit(0)
	}
	code, err := setUpAndRun(m)
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		if errors.Is(err, sandbox.ErrToolsMissing) {
			fmt.Fprintln(os.Stderr, "e2e: the end-to-end tests need the pinned tools: run `make tools` (the first build takes several minutes), then `make test`")
		}
		os.Exit(1)
	}
	os.Exit(code)
}

func setUpAndRun(m *testing.M) (int, error) {
	began := time.Now()
	root, err := sandbox.RepoRoot()
	if err != nil {
		return 0, err
	}
	env.root = root
	binDir, err := sandbox.DefaultBinDir()
	if err != nil {
		return 0, err
	}
	tools, err := sandbox.FindTools(binDir, true)
	if err != nil {
		return 0, err
	}
	if _, err := os.Stat(filepath.Join(binDir, "kubectl")); err != nil {
		return 0, fmt.Errorf("%w (no pinned kubectl in %s)", sandbox.ErrToolsMissing, binDir)
	}

	tmp, err := os.MkdirTemp("", "kubectl-skew-e2e-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	env.bin = filepath.Join(tmp, "bin")
	env.home = filepath.Join(tmp, "home")
	for _, d := range []string{env.bin, env.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	// The plugin under test first, then the pinned kubectl, then the system: kubectl
	// finds kubectl-skew by PATH, exactly as for a user.
	env.path = env.bin + string(os.PathListSeparator) + filepath.Dir(tools.Kubectl) + string(os.PathListSeparator) + "/usr/local/bin:/usr/bin:/bin"

	// The plugin, and the command the `--driver command` tests give it
	// (nodesim-install, test/cmd/nodesim-install): both into the PATH's first
	// directory, so such a test's command line is just `nodesim-install`. One go
	// build compiles the two in parallel.
	build := exec.Command("go", "build", "-trimpath", "-o", env.bin+string(os.PathSeparator),
		"-ldflags", "-X github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil.BuildVersion=v0.0.0-e2e -X github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil.BuildCommit=e2e",
		"./cmd/kubectl-skew", "./test/cmd/nodesim-install")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build kubectl-skew and nodesim-install: %v\n%s", err, out)
	}

	// One sandbox for the package, with everything on: the upgrade tests need SUC, the
	// node simulator and the channel servers; the check tests reseed scenarios.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{SUC: true, Channels: true, NodeDelay: 500 * time.Millisecond, Rancher: true, RancherStep: 200 * time.Millisecond})
	if err != nil {
		return 0, err
	}
	env.sb = sb
	defer sb.Stop()
	// A Ctrl-C or TERM still stops the sandbox (its children would die with us anyway).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		sb.Stop()
		os.Exit(130)
	}()
	fmt.Printf("e2e: sandbox up in %.1fs (%s)\n", time.Since(began).Seconds(), sb.Server)
	return m.Run(), nil
}
