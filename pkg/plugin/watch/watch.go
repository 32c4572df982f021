// Package watch is "kubectl skew watch": findings kept current as lines or Prometheus metrics.
package watch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/watch"
)

// WatchOptions holds "kubectl skew watch".
type WatchOptions struct {
	env *cmdutil.Env

	MetricsAddr string
	Output      string
	Target      string

	// cfg is the watch's settings: --target parsed into it, the clients and the
	// callbacks set by Run.
	cfg watch.Config
}

// NewCmdWatch builds "kubectl skew watch".
func NewCmdWatch(env *cmdutil.Env) *cobra.Command {
	o := &WatchOptions{env: env}
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Keep checking the version skew policy as nodes come and go, optionally serving Prometheus metrics",
		Long: `Watch holds one watch on the nodes and one on the kube-system pods that carry
versions (what check reads), and re-evaluates the version skew policy whenever they
change: a node restored from an old image, or an autoscaler bringing up agents on
last year's version, is reported within a second. It never re-lists on a timer.

Each change of the findings is printed as one line (one JSON object with -o json).
With --metrics-addr it also serves /metrics in the Prometheus text format, /healthz
and /readyz (ready once the first evaluation is done). The metrics and an in-cluster
manifest are described in docs/watch.md.

It runs until interrupted (SIGINT or SIGTERM), and survives an apiserver restart by
re-watching.

Exit codes: 0 stopped by a signal, 1 error (bad flags, the port in use, the cluster
unreachable or RBAC forbidding the watch at the start).`,
		Example: `  # Print each change of the findings
  kubectl skew watch

  # Serve metrics for Prometheus on port 9090 of every interface
  kubectl skew watch --metrics-addr :9090

  # Also export the findings a v1.33 control plane would add
  kubectl skew watch --metrics-addr 127.0.0.1:9090 --target v1.33 -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	cmd.Flags().StringVar(&o.MetricsAddr, "metrics-addr", "", "Serve /metrics, /healthz and /readyz on HOST:PORT (\":9090\" for every interface)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "Format of the change lines: \"\" (one line of text) or json (one object a line)")
	cmd.Flags().StringVar(&o.Target, "target", "", "Also report the findings a control plane at this version would add (vX.Y or vX.Y.Z)")
	_ = cmd.RegisterFlagCompletionFunc("output", cmdutil.FixedCompletion("json"))
	return cmd
}

// Complete parses the flags.
func (o *WatchOptions) Complete() error {
	if o.Target != "" {
		t, err := version.ParseTarget(o.Target)
		if err != nil {
			return fmt.Errorf("--target: %w; use a version such as v1.33 or v1.33.5+k3s1", err)
		}
		o.cfg.Target = &t
	}
	return nil
}

// Validate checks the flags before anything touches the cluster or the network.
func (o *WatchOptions) Validate() error {
	if o.Output != "" && o.Output != cmdutil.FormatJSON {
		return fmt.Errorf("--output %q: watch prints text lines or json (-o json)", o.Output)
	}
	if o.MetricsAddr != "" {
		return ValidateAddr(o.MetricsAddr)
	}
	return nil
}

// ValidateAddr accepts HOST:PORT with a port from 0 to 65535; HOST may be empty.
func ValidateAddr(addr string) error {
	const want = "use HOST:PORT, such as :9090 (every interface) or 127.0.0.1:9090"
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr %q: %s", addr, want)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("--metrics-addr %q: port %q is not a number from 0 to 65535; %s", addr, port, want)
	}
	return nil
}

// Run listens first (a port in use fails before the cluster is read), then watches
// until ctx ends.
func (o *WatchOptions) Run(ctx context.Context) error {
	var l net.Listener
	if o.MetricsAddr != "" {
		var err error
		if l, err = net.Listen("tcp", o.MetricsAddr); err != nil {
			return listenError(o.MetricsAddr, err)
		}
		defer l.Close()
	}
	c, err := o.env.Clients()
	if err != nil {
		return err
	}
	// No request timeout: it would cut every watch after --request-timeout and make the
	// informers re-watch for nothing.
	wc, err := c.Derived(cmdutil.NoTimeout)
	if err != nil {
		return err
	}
	p := &changePrinter{out: o.env.Streams.Out, json: o.Output == cmdutil.FormatJSON}
	o.cfg.Kube, o.cfg.OnChange = wc.Kube, p.print
	o.cfg.OnReady = func() {
		// Said once ready, not at the start: a start that fails prints its one error line only.
		if l != nil {
			fmt.Fprintf(o.env.Streams.ErrOut, "serving metrics on http://%s/metrics\n", l.Addr())
		}
		// The initial lists decode every node in full before the caches keep their slim
		// copies: most of the peak is garbage by now, and the Go runtime would hand it
		// back to the OS only slowly. Steady-state memory is what a Deployment's limit
		// meets. After the line above: /readyz already answers 200, and a forced
		// collection of the whole heap need not delay saying so.
		debug.FreeOSMemory()
	}
	o.cfg.OnWatchError = func(what string, err error) {
		fmt.Fprintf(o.env.Streams.ErrOut, "warning: %s: %s; watching again\n", what, cmdutil.OneLine(err.Error()))
	}
	w := watch.New(o.cfg)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	if l != nil {
		h, err := watch.Handler(w)
		if err != nil {
			return err
		}
		go func() {
			err := watch.Serve(ctx, l, h)
			cancel() // a server that died takes the watch with it
			served <- err
		}()
	} else {
		close(served)
	}
	err = w.Run(ctx)
	cancel()
	if serr := <-served; serr != nil && err == nil {
		return serr
	}
	var se *watch.SyncError
	if errors.As(err, &se) {
		return cmdutil.APIError(se.What, c.Server, se.Err)
	}
	return err
}

func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("--metrics-addr %s: the port is in use by another process; pick another port", addr)
	}
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("--metrics-addr %s: permission denied (ports below 1024 need privileges); pick a port above 1023", addr)
	}
	return fmt.Errorf("--metrics-addr %s: cannot listen (%s); use an address of this machine, such as :9090 or 127.0.0.1:9090", addr, cmdutil.RootCause(err))
}
