// Package version is "kubectl skew version": the plugin's build and the cluster's versions.
package version

import (
	"context"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// VersionOptions holds "kubectl skew version".
type VersionOptions struct {
	env    *cmdutil.Env
	Client bool
	out    *cmdutil.OutputFlags
}

// NewCmdVersion builds "kubectl skew version".
func NewCmdVersion(env *cmdutil.Env) *cobra.Command {
	o := &VersionOptions{env: env, Client: true, out: cmdutil.NewOutputFlags(false)}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the plugin's version (and the apiserver's with --client=false)",
		Example: `  kubectl skew version
  kubectl skew version --client=false -o json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	cmd.Flags().BoolVar(&o.Client, "client", o.Client, "Print only the plugin's version; --client=false also asks the apiserver")
	o.out.AddFlags(cmd)
	return cmd
}

// Complete has nothing to fill in: version needs no cluster unless asked.
func (o *VersionOptions) Complete() error { return nil }

// Validate checks the flags.
func (o *VersionOptions) Validate() error { return o.out.Validate() }

// Run prints the versions.
func (o *VersionOptions) Run(ctx context.Context) error {
	info := report.NewVersionInfo()
	info.Client = report.BuildInfo{
		Version: cmdutil.BuildVersion, Commit: cmdutil.BuildCommit, BuildDate: cmdutil.BuildDate,
		GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH,
	}
	if !o.Client {
		c, err := o.env.Clients()
		if err != nil {
			return err
		}
		sv, err := c.Discovery.ServerVersion()
		if err != nil {
			return cmdutil.APIError("get server version", c.Server, err)
		}
		info.Server = &report.ServerVersion{GitVersion: sv.GitVersion, Platform: sv.Platform}
	}
	w := o.env.Streams.Out
	if o.out.Structured() {
		return o.out.Print(w, info)
	}
	fmt.Fprintf(w, "kubectl-skew %s (commit %s, built %s, %s, %s)\n",
		info.Client.Version, info.Client.Commit, info.Client.BuildDate, info.Client.GoVersion, info.Client.Platform)
	if info.Server != nil {
		fmt.Fprintf(w, "Server: %s\n", info.Server.GitVersion)
	}
	return nil
}
