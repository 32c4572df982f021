package cmdutil

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// DefaultChannelURL is the upstream channel list of a distribution; tests point it
// at a local server so that no test ever reaches update.k3s.io.
var DefaultChannelURL = channel.DefaultURL

// ChannelSource is the channel-server flags shared by channels, plan and upgrade.
type ChannelSource struct {
	URL     string
	Timeout time.Duration
}

func (s *ChannelSource) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.URL, "channel-server", "", "URL of the release channel list, for mirrors and air-gapped sites (default: update.k3s.io or update.rke2.io, by the cluster's distribution)")
	cmd.Flags().DurationVar(&s.Timeout, "channel-timeout", channel.DefaultTimeout, "Give up on the channel server after this long, retries included")
}

// Explicit reports whether the user named a channel server.
func (s *ChannelSource) Explicit() bool { return s.URL != "" }

// URLFor is the channel list URL to use for a distribution.
func (s *ChannelSource) URLFor(d version.Distro) (string, error) {
	if s.URL != "" {
		return s.URL, nil
	}
	return DefaultChannelURL(d)
}

// List fetches the channel list of a distribution.
func (s *ChannelSource) List(ctx context.Context, d version.Distro) (*channel.List, error) {
	url, err := s.URLFor(d)
	if err != nil {
		return nil, err
	}
	c, err := channel.New(channel.Options{URL: url, Timeout: s.Timeout, UserAgent: "kubectl-skew/" + BuildVersion})
	if err != nil {
		return nil, fmt.Errorf("--channel-server: %w", err)
	}
	return c.List(ctx)
}
