// Package channels is "kubectl skew channels": a release channel server's channels.
package channels

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// ChannelsOptions holds "kubectl skew channels".
type ChannelsOptions struct {
	Env     *cmdutil.Env
	Out     *cmdutil.OutputFlags
	source  cmdutil.ChannelSource
	Distro  string
	distro  version.Distro
	servers []version.Version
}

// NewCmdChannels builds "kubectl skew channels".
func NewCmdChannels(env *cmdutil.Env) *cobra.Command {
	o := &ChannelsOptions{Env: env, Out: cmdutil.NewOutputFlags(false)}
	cmd := &cobra.Command{
		Use:   "channels",
		Short: "List the release channels of the cluster's distribution (K3s or RKE2)",
		Long: `Channels lists the release channels that the K3s or RKE2 channel server publishes:
stable (the installers' default), latest, testing, and one per minor (v1.33, ...),
each with the release it points at now. The channel of the minor the cluster's
servers run is marked.

With --distro it needs no cluster. --channel-server reads a mirror instead of
update.k3s.io or update.rke2.io.`,
		Example: `  # The channels of the current cluster's distribution
  kubectl skew channels

  # No cluster needed
  kubectl skew channels --distro rke2 -o json

  # An air-gapped mirror
  kubectl skew channels --channel-server https://mirror.example/v1-release/channels`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(cmd.Context()); err != nil {
				return err
			}
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringVar(&o.Distro, "distro", "", "List the channels of this distribution (k3s|rke2) without reading a cluster")
	_ = cmd.RegisterFlagCompletionFunc("distro", cmdutil.FixedCompletion("k3s", "rke2"))
	o.source.AddFlags(cmd)
	o.Out.AddFlags(cmd)
	return cmd
}

// Complete takes the distribution from --distro or, without it, from the cluster.
func (o *ChannelsOptions) Complete(ctx context.Context) error {
	if o.Distro != "" {
		d, err := version.ParseDistro(o.Distro)
		if err != nil || d == version.Other {
			return fmt.Errorf("--distro %q: use k3s or rke2", o.Distro)
		}
		o.distro = d
		return nil
	}
	inv, err := cmdutil.ReadInventory(ctx, o.Env)
	if err != nil {
		return fmt.Errorf("%w (or give --distro k3s|rke2 to list channels without a cluster)", err)
	}
	if !inv.Distro.IsRancherDistro() {
		return fmt.Errorf("the cluster is not K3s or RKE2 (its kubelets report %s): release channels exist for K3s and RKE2 only; give --distro to list theirs", inv.KubeletSample())
	}
	o.distro = inv.Distro
	for _, n := range inv.Servers() {
		if n.Kubelet != nil {
			o.servers = append(o.servers, *n.Kubelet)
		}
	}
	sort.Slice(o.servers, func(i, j int) bool { return o.servers[i].Compare(o.servers[j]) < 0 })
	return nil
}

// Validate checks the flags.
func (o *ChannelsOptions) Validate() error { return o.Out.Validate() }

// Run fetches and prints the channels.
func (o *ChannelsOptions) Run(ctx context.Context) error {
	list, err := o.source.List(ctx, o.distro)
	if err != nil {
		return err
	}
	return cmdutil.PrintReport(o.Env, o.Out, channelsReport(list, o.distro, o.servers), table.WriteChannels)
}

// channelsReport orders the channels as people look for them: the named ones in the
// server's order, then the minors newest first.
func channelsReport(list *channel.List, d version.Distro, servers []version.Version) *report.ChannelsReport {
	r := report.NewChannelsReport()
	r.Distro, r.Server, r.Default = string(d), list.URL, channel.Default
	onMinor := map[version.MinorVersion]version.Version{}
	for _, v := range servers {
		r.ClusterVersions = cmdutil.AppendUnique(r.ClusterVersions, v.String())
		if cur, ok := onMinor[v.MinorVersion()]; !ok || v.Compare(cur) < 0 {
			onMinor[v.MinorVersion()] = v
		}
	}
	var named, minors []report.ChannelInfo
	var minorOrder []version.MinorVersion
	for _, c := range list.Channels {
		info := report.ChannelInfo{Name: c.Name, Latest: c.Latest, Default: c.Name == channel.Default, Error: c.LatestError}
		if c.Version != nil {
			info.Minor = c.Version.MinorString()
		}
		m, err := version.ParseMinor(c.Name)
		isMinor := err == nil && strings.HasPrefix(c.Name, "v") && strings.Count(c.Name, ".") == 1
		if !isMinor {
			named = append(named, info)
			continue
		}
		if lowest, ok := onMinor[m]; ok {
			info.Cluster = true
			info.Newer = c.Version != nil && c.Version.Compare(lowest) > 0
		}
		minors = append(minors, info)
		minorOrder = append(minorOrder, m)
	}
	idx := make([]int, len(minors))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return minorOrder[idx[a]].Compare(minorOrder[idx[b]]) > 0 })
	r.Channels = append(r.Channels, named...)
	for _, i := range idx {
		r.Channels = append(r.Channels, minors[i])
	}
	return r
}
