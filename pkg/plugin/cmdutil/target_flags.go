package cmdutil

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TargetFlags are what plan and upgrade share: where to go (--channel or --version),
// when agents move (--agents), and where the channel list comes from.
type TargetFlags struct {
	Channel string
	Version string
	Agents  string
	Source  ChannelSource

	// Target and AgentMode are --version and --agents parsed, set by Complete.
	Target    *version.Target
	AgentMode upgradepath.AgentMode
}

func (t *TargetFlags) AddFlags(cmd *cobra.Command) {
	t.Agents = string(upgradepath.AgentsEach)
	f := cmd.Flags()
	f.StringVar(&t.Channel, "channel", "", "Target the release a channel points at: stable (default), latest, v1.33, ...")
	f.StringVar(&t.Version, "version", "", "Target an exact release, such as v1.33.5+k3s1 or v1.33.5+rke2r1")
	f.StringVar(&t.Agents, "agents", t.Agents, "When agents are upgraded: each (every hop, after its servers) or final (once, at the last hop, if the skew policy allows)")
	_ = cmd.RegisterFlagCompletionFunc("channel", FixedCompletion("stable", "latest", "testing"))
	_ = cmd.RegisterFlagCompletionFunc("agents", FixedCompletion(string(upgradepath.AgentsEach), string(upgradepath.AgentsFinal)))
	t.Source.AddFlags(cmd)
}

// Complete parses the flags; with neither --channel nor --version the target is stable.
func (t *TargetFlags) Complete() error {
	if t.Version != "" {
		v, err := version.ParseTarget(t.Version)
		if err != nil {
			return fmt.Errorf("--version: %w; use a release such as v1.33.5+k3s1", err)
		}
		t.Target = &v
	} else if t.Channel == "" {
		t.Channel = channel.Default
	}
	mode, err := upgradepath.ParseAgentMode(t.Agents)
	if err != nil {
		return err
	}
	t.AgentMode = mode
	return nil
}

func (t *TargetFlags) Validate() error {
	if t.Channel != "" && t.Target != nil {
		return fmt.Errorf("give --channel or --version, not both")
	}
	if strings.TrimSpace(t.Channel) != t.Channel || strings.ContainsAny(t.Channel, "/?#") {
		return fmt.Errorf("--channel %q is not a channel name such as stable or v1.33", t.Channel)
	}
	return nil
}

// ResolvePath plans the path of inv; h are the command's hazard settings, which choose
// the stepping stones. An explicit version within one minor needs no channel server:
// the list is fetched for a channel, for a mirror the user named, or when the path
// turns out to cross minors.
func (t *TargetFlags) ResolvePath(ctx context.Context, inv *cluster.Inventory, h *judge.Hazards) (*upgradepath.Path, *channel.List, error) {
	req := upgradepath.Request{Inventory: inv, Channel: t.Channel, Version: t.Target, Agents: t.AgentMode,
		AcceptHazards: h.Accepted, Releases: h.Releases}
	return upgrade.ResolvePath(ctx, req, &t.Source, t.Source.Explicit())
}

// SourceArgs are the flags a printed follow-up command needs to reach the same channel
// server with the same agent mode.
func (t *TargetFlags) SourceArgs() []string {
	var args []string
	if t.Source.Explicit() {
		args = append(args, "--channel-server "+t.Source.URL)
	}
	if t.AgentMode == upgradepath.AgentsFinal {
		args = append(args, "--agents final")
	}
	return args
}
