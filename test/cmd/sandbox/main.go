// Command sandbox runs a real control plane on this machine to try kubectl-skew
// without a cluster (see the README's sandbox section):
//
//	sandbox up  [--scenario k3s-skewed] [--suc] [--channels]   run until Ctrl-C
//	sandbox run [--scenario k3s-skewed] [...] -- CMD ARGS...    run CMD against it, then stop
//	sandbox down                                               stop the one `up` started
//	sandbox scenarios                                          list the scenarios
//	sandbox fault k3s|rke2 none|500|slow|garbage|huge|html|down misbehave the channel server
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: sandbox COMMAND [flags]

commands:
  up         start etcd, kube-apiserver (and SUC), seed a scenario, run until Ctrl-C
  run        like up, then run the command after -- with KUBECONFIG set, then stop
  down       stop the sandbox that 'up' started
  scenarios  list the scenarios
  fault      switch a fault on the running sandbox's channel server: fault k3s|rke2 KIND

Run 'sandbox up -h' for the flags of up and run.
`)
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "up", "run":
		return upOrRun(cmd, args, stdout, stderr)
	case "down":
		return down(args, stderr)
	case "scenarios":
		for _, name := range scenarios.Names() {
			s, err := scenarios.Load(name)
			if err != nil {
				fmt.Fprintln(stderr, "sandbox:", err)
				return 1
			}
			fmt.Fprintf(stdout, "%-16s %s\n", name, s.Description)
		}
		return 0
	case "fault":
		return fault(args, stdout, stderr)
	case "-h", "--help", "help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "sandbox: unknown command %q\n", cmd)
	usage(stderr)
	return 2
}

func defaultDir() string {
	root, err := sandbox.RepoRoot()
	if err != nil {
		return filepath.Join(os.TempDir(), "kubectl-skew-sandbox")
	}
	return filepath.Join(root, ".cache", "sandbox", "cli")
}

func upOrRun(cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts sandbox.Options
	fs.StringVar(&opts.Scenario, "scenario", "k3s-skewed", "scenario to seed (see 'sandbox scenarios'); empty seeds nothing")
	fs.BoolVar(&opts.SUC, "suc", false, "run the system-upgrade-controller and the node simulator")
	fs.BoolVar(&opts.Channels, "channels", false, "serve the K3s and RKE2 release channels from test/testdata/channels")
	fs.DurationVar(&opts.NodeDelay, "node-delay", 2*time.Second, "how long a simulated node takes to upgrade")
	fs.StringVar(&opts.Dir, "dir", defaultDir(), "state directory (certificates, data, logs, kubeconfig)")
	fs.BoolVar(&opts.Keep, "keep", false, "keep the state directory after stopping")
	quiet := fs.Bool("quiet", false, "print no progress")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if cmd == "run" && len(rest) == 0 {
		fmt.Fprintln(stderr, "sandbox run: give the command to run after --")
		return 2
	}
	if cmd == "up" && len(rest) > 0 {
		fmt.Fprintf(stderr, "sandbox up: unexpected arguments %q (did you mean 'sandbox run -- ...'?)\n", rest)
		return 2
	}
	if !*quiet {
		opts.Progress = stderr
	}

	// Ctrl-C or a TERM from 'sandbox down' stops the sandbox cleanly, also mid-start.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sb, err := sandbox.Start(ctx, opts)
	if err != nil {
		fmt.Fprintln(stderr, "sandbox:", err)
		if errors.Is(err, sandbox.ErrToolsMissing) {
			fmt.Fprintln(stderr, "sandbox: build them with `make tools` (the first build takes several minutes)")
		}
		return 1
	}
	defer func() {
		sb.Stop()
		if !*quiet {
			fmt.Fprintln(stderr, "sandbox: stopped")
		}
	}()
	env := environment(sb)
	if err := os.WriteFile(filepath.Join(sb.Dir, "env"), []byte(exports(env)), 0o644); err != nil {
		fmt.Fprintln(stderr, "sandbox:", err)
		return 1
	}

	if cmd == "run" {
		return runCommand(ctx, sb, env, rest, stderr)
	}
	fmt.Fprintf(stdout, "%s\n# the sandbox runs until Ctrl-C (or `go run ./test/cmd/sandbox down`); in another shell:\n#   source %s\n#   kubectl skew check\n",
		strings.TrimSpace(exports(env)), filepath.Join(sb.Dir, "env"))
	select {
	case <-ctx.Done():
		return 0
	case <-sb.Done():
		fmt.Fprintln(stderr, "sandbox:", sb.Alive())
		return 1
	}
}

// environment is what a command run against the sandbox needs: the kubeconfig, this
// checkout's bin/ and the pinned kubectl first on PATH, and where the extras listen.
func environment(sb *sandbox.Sandbox) []string {
	path := filepath.Dir(sb.Tools.Kubectl) + string(os.PathListSeparator) + os.Getenv("PATH")
	// The plugin as `make build` leaves it, so that `kubectl skew` finds this checkout's.
	if root, err := sandbox.RepoRoot(); err == nil {
		path = filepath.Join(root, "bin") + string(os.PathListSeparator) + path
	}
	env := []string{
		"KUBECONFIG=" + sb.Kubeconfig,
		"PATH=" + path,
		"SANDBOX_DIR=" + sb.Dir,
		"SANDBOX_SCENARIO=" + sb.Scenario(),
	}
	if sb.K3sChannels != nil {
		env = append(env, "SANDBOX_K3S_CHANNELS="+sb.K3sChannels.ListURL(), "SANDBOX_RKE2_CHANNELS="+sb.RKE2Channels.ListURL())
	}
	if sb.NodesimLog != "" {
		env = append(env, "SANDBOX_NODESIM_LOG="+sb.NodesimLog)
	}
	return env
}

func exports(env []string) string {
	var b strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&b, "export %s=%q\n", k, v)
	}
	return b.String()
}

func runCommand(ctx context.Context, sb *sandbox.Sandbox, env, argv []string, stderr io.Writer) int {
	c := exec.Command(argv[0], argv[1:]...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	c.Env = append(os.Environ(), env...)
	if err := c.Start(); err != nil {
		fmt.Fprintln(stderr, "sandbox run:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		if err != nil {
			fmt.Fprintln(stderr, "sandbox run:", err)
			return 1
		}
		return 0
	case <-ctx.Done():
		// The terminal's Ctrl-C reached the command too; give it a moment to finish.
		_ = c.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = c.Process.Kill()
			<-done
		}
		return 130
	case <-sb.Done():
		fmt.Fprintln(stderr, "sandbox:", sb.Alive())
		_ = c.Process.Kill()
		<-done
		return 1
	}
}

func down(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("down", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", defaultDir(), "state directory of the sandbox to stop")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	pid := sandbox.OwnerPID(*dir)
	if pid == 0 {
		// Nothing runs it; still clean up what a crashed owner may have left.
		if err := sandbox.ReapStale(filepath.Dir(*dir)); err != nil {
			fmt.Fprintln(stderr, "sandbox down:", err)
			return 1
		}
		fmt.Fprintln(stderr, "sandbox down: no sandbox running")
		return 0
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		fmt.Fprintln(stderr, "sandbox down:", err)
		return 1
	}
	deadline := time.Now().Add(30 * time.Second)
	for sandbox.OwnerPID(*dir) != 0 {
		if time.Now().After(deadline) {
			fmt.Fprintf(stderr, "sandbox down: pid %d still running after 30s\n", pid)
			return 1
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Fprintln(stderr, "sandbox down: stopped")
	return 0
}

func fault(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fault", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", defaultDir(), "state directory of the running sandbox")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 || (fs.Arg(0) != "k3s" && fs.Arg(0) != "rke2") {
		fmt.Fprintln(stderr, "usage: sandbox fault k3s|rke2 none|500|slow|garbage|huge|html|down")
		return 2
	}
	env, err := os.ReadFile(filepath.Join(*dir, "env"))
	if err != nil {
		fmt.Fprintln(stderr, "sandbox fault: no running sandbox with --channels:", err)
		return 1
	}
	key := "SANDBOX_" + strings.ToUpper(fs.Arg(0)) + "_CHANNELS="
	var list string
	for _, line := range strings.Split(string(env), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimPrefix(line, "export "), key); ok {
			list = strings.Trim(v, `"`)
		}
	}
	if list == "" {
		fmt.Fprintln(stderr, "sandbox fault: the running sandbox has no channel servers (start it with --channels)")
		return 1
	}
	base := strings.TrimSuffix(list, "/v1-release/channels")
	resp, err := http.Post(base+"/_fault?kind="+fs.Arg(1), "text/plain", nil)
	if err != nil {
		fmt.Fprintln(stderr, "sandbox fault:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "sandbox fault: %s: %s", resp.Status, body)
		return 1
	}
	fmt.Fprintf(stdout, "%s channel server fault: %s", fs.Arg(0), body)
	return 0
}
