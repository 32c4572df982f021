package plugin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// ChannelsOptions holds "kubectl skew channels".
type ChannelsOptions struct {
	env     *Env
	out     *outputFlags
	source  channelSource
	Distro  string
	distro  version.Distro
	servers []version.Version
}

// NewCmdChannels builds "kubectl skew channels".
func NewCmdChannels(env *Env) *cobra.Command {
	o := &ChannelsOptions{env: env, out: newOutputFlags(false)}
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
	_ = cmd.RegisterFlagCompletionFunc("distro", fixedCompletion("k3s", "rke2"))
	o.source.AddFlags(cmd)
	o.out.AddFlags(cmd)
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
	inv, err := readInventory(ctx, o.env)
	if err != nil {
		return fmt.Errorf("%w (or give --distro k3s|rke2 to list channels without a cluster)", err)
	}
	if !inv.Distro.IsRancherDistro() {
		return fmt.Errorf("the cluster is not K3s or RKE2 (its kubelets report %s): release channels exist for K3s and RKE2 only; give --distro to list theirs", kubeletSample(inv))
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
func (o *ChannelsOptions) Validate() error { return o.out.Validate() }

// Run fetches and prints the channels.
func (o *ChannelsOptions) Run(ctx context.Context) error {
	list, err := o.source.List(ctx, o.distro)
	if err != nil {
		return err
	}
	r := channelsReport(list, o.distro, o.servers)
	if o.out.Structured() {
		return o.out.Print(o.env.Streams.Out, r)
	}
	return writeChannelsTable(o.env.Streams.Out, r, o.env.useColor(o.env.Streams.Out))
}

// channelsReport orders the channels as people look for them: the named ones in the
// server's order, then the minors newest first.
func channelsReport(list *channel.List, d version.Distro, servers []version.Version) *report.ChannelsReport {
	r := report.NewChannelsReport()
	r.Distro, r.Server, r.Default = string(d), list.URL, channel.Default
	onMinor := map[version.MinorVersion]version.Version{}
	for _, v := range servers {
		r.ClusterVersions = appendUnique(r.ClusterVersions, v.String())
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

// readInventory reads the cluster, turning a failed read into a one-line error.
func readInventory(ctx context.Context, env *Env) (*cluster.Inventory, error) {
	c, err := env.Clients()
	if err != nil {
		return nil, err
	}
	inv, err := cluster.Read(ctx, c.Kube)
	if err != nil {
		var re *cluster.ReadError
		if errors.As(err, &re) {
			return nil, apiError(re.What, c.Server, re.Err)
		}
		return nil, err
	}
	for _, s := range inv.Skipped {
		fmt.Fprintf(env.Streams.ErrOut, "warning: skipped %s: %s\n", s.What, s.Reason)
	}
	return inv, nil
}

// kubeletSample names a kubelet version for a message about the distribution.
func kubeletSample(inv *cluster.Inventory) string {
	for _, n := range inv.Nodes {
		if n.KubeletVersion != "" {
			return n.KubeletVersion
		}
	}
	if len(inv.Nodes) == 0 {
		return "nothing: the cluster has no nodes"
	}
	return "no version"
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
