// Package plugin is the command line of kubectl-skew: the root command over the
// commands' own packages (pkg/plugin/<command>, each with kubectl's Options pattern:
// Complete, Validate, Run over injected streams) and what they share (cmdutil).
package plugin

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	"k8s.io/klog/v2"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/abort"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/channels"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/check"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/completion"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/plan"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/releases"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/rollback"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/status"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/version"
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/watch"
)

// defaultRequestTimeout keeps a checker from hanging on a black-holed apiserver;
// kubectl's own default is no timeout at all.
const defaultRequestTimeout = "30s"

// Main runs the plugin with the process's streams and returns the exit code.
func Main(args []string) int {
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// client-go logs some of what goes wrong (throttling, a body cut off by Ctrl-C) on
	// stderr itself; every failure also comes back to us as an error, said in one line.
	klog.SetLogger(logr.Discard())
	return Execute(ctx, NewEnv(streams), args)
}

// Execute runs the root command with args and maps its error to an exit code,
// printing that error as one line on stderr.
func Execute(ctx context.Context, env *cmdutil.Env, args []string) int {
	cmd := NewCmdSkew(env)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	return cmdutil.ReportError(env.Streams.ErrOut, err)
}

// NewCmdSkew builds the root command, shown as "kubectl skew".
func NewCmdSkew(env *cmdutil.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubectl-skew",
		Short: "Check Kubernetes version skew and upgrade K3s/RKE2 one minor at a time",
		Long: `kubectl skew checks every node and control-plane component of a cluster against the
Kubernetes version skew policy, and plans and runs K3s and RKE2 upgrades through the
system-upgrade-controller: servers first, one minor at a time.`,
		Example: `  # Check the current cluster; exit code 3 when a skew rule is broken
  kubectl skew check

  # What stands between the cluster and a v1.33 control plane?
  kubectl skew check --target v1.33`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl skew"},
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	cmd.SetIn(env.Streams.In)
	cmd.SetOut(env.Streams.Out)
	cmd.SetErr(env.Streams.ErrOut)
	cmd.SetFlagErrorFunc(cmdutil.FlagError)
	cmd.CompletionOptions.DisableDefaultCmd = true
	env.Flags.AddFlags(cmd.PersistentFlags())

	cmd.AddCommand(
		check.NewCmdCheck(env),
		channels.NewCmdChannels(env),
		releases.NewCmdReleases(env),
		plan.NewCmdPlan(env),
		upgrade.NewCmdUpgrade(env),
		status.NewCmdStatus(env),
		watch.NewCmdWatch(env),
		abort.NewCmdAbort(env),
		rollback.NewCmdRollback(env),
		version.NewCmdVersion(env),
		completion.NewCmdCompletion(env),
	)
	return cmd
}

// NewEnv wires the real world: kubeconfig flags, clients built from them, the terminal.
func NewEnv(streams genericiooptions.IOStreams) *cmdutil.Env {
	flags := genericclioptions.NewConfigFlags(true)
	*flags.Timeout = defaultRequestTimeout
	env := &cmdutil.Env{Streams: streams, Flags: flags, Getenv: os.Getenv, KubectlVersion: cmdutil.PathKubectlVersion}
	env.Clients = func() (*cmdutil.Clients, error) { return cmdutil.NewClients(flags, streams) }
	// The fleet view reads the kubeconfig once, however many contexts it checks.
	kubeconfig := cmdutil.NewKubeconfig(flags, streams)
	env.ContextNames, env.ClientsFor = kubeconfig.ContextNames, kubeconfig.Clients
	return env
}
