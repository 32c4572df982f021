package plugin

import (
	"context"
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// targetFlags are what plan and upgrade share: where to go (--channel or --version),
// when agents move (--agents), and where the channel list comes from.
type targetFlags struct {
	Channel string
	Version string
	Agents  string
	source  channelSource

	target *version.Target
	agents upgradepath.AgentMode
	// acceptHazards are the --accept-hazard IDs of the command, for the planner.
	acceptHazards []string
}

func (t *targetFlags) AddFlags(cmd *cobra.Command) {
	t.Agents = string(upgradepath.AgentsEach)
	f := cmd.Flags()
	f.StringVar(&t.Channel, "channel", "", "Target the release a channel points at: stable (default), latest, v1.33, ...")
	f.StringVar(&t.Version, "version", "", "Target an exact release, such as v1.33.5+k3s1 or v1.33.5+rke2r1")
	f.StringVar(&t.Agents, "agents", t.Agents, "When agents are upgraded: each (every hop, after its servers) or final (once, at the last hop, if the skew policy allows)")
	_ = cmd.RegisterFlagCompletionFunc("channel", fixedCompletion("stable", "latest", "testing"))
	_ = cmd.RegisterFlagCompletionFunc("agents", fixedCompletion(string(upgradepath.AgentsEach), string(upgradepath.AgentsFinal)))
	t.source.AddFlags(cmd)
}

// Complete parses the flags; with neither --channel nor --version the target is stable.
func (t *targetFlags) Complete() error {
	if t.Version != "" {
		v, err := version.ParseTarget(t.Version)
		if err != nil {
			return fmt.Errorf("--version: %w; use a release such as v1.33.5+k3s1", err)
		}
		t.target = &v
	} else if t.Channel == "" {
		t.Channel = channel.Default
	}
	mode, err := upgradepath.ParseAgentMode(t.Agents)
	if err != nil {
		return err
	}
	t.agents = mode
	return nil
}

func (t *targetFlags) Validate() error {
	if t.Channel != "" && t.target != nil {
		return fmt.Errorf("give --channel or --version, not both")
	}
	if strings.TrimSpace(t.Channel) != t.Channel || strings.ContainsAny(t.Channel, "/?#") {
		return fmt.Errorf("--channel %q is not a channel name such as stable or v1.33", t.Channel)
	}
	return nil
}

// resolvePath plans the path of inv. An explicit version within one minor needs no
// channel server: the list is fetched for a channel, for a mirror the user named, or
// when the path turns out to cross minors.
func (t *targetFlags) resolvePath(ctx context.Context, inv *cluster.Inventory) (*upgradepath.Path, *channel.List, error) {
	return upgrade.ResolvePath(ctx, t.request(inv), &t.source, t.source.Explicit())
}

func (t *targetFlags) request(inv *cluster.Inventory) upgradepath.Request {
	return upgradepath.Request{Inventory: inv, Channel: t.Channel, Version: t.target, Agents: t.agents, AcceptHazards: t.acceptHazards}
}

// sourceArgs are the flags a printed follow-up command needs to reach the same channel
// server with the same agent mode.
func (t *targetFlags) sourceArgs() []string {
	var args []string
	if t.source.Explicit() {
		args = append(args, "--channel-server "+t.source.URL)
	}
	if t.agents == upgradepath.AgentsFinal {
		args = append(args, "--agents final")
	}
	return args
}
