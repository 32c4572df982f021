// Package upgrade runs a K3s or RKE2 upgrade through the system-upgrade-controller.
// It is the library entry point: Prepare reads the cluster, works out the path and
// the next step and runs the preflight checks, writing nothing; Execute applies the
// step and, with Wait, follows the upgrade hop by hop to the target.
//
//	p, err := upgrade.Prepare(ctx, cfg)
//	if err == nil && p.Refusal() == nil && p.Step != nil {
//		outcome, err = upgrade.Execute(ctx, cfg, p)
//	}
package upgrade

import (
	"context"
	"slices"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// ChannelSource gives the release channel list of a distribution.
type ChannelSource interface {
	List(ctx context.Context, d version.Distro) (*channel.List, error)
}

// Config is one upgrade run. The zero value of each option is the safe choice;
// Plans should start from suc.DefaultPlanConfig.
type Config struct {
	// Driver moves the nodes; nil means the system-upgrade-controller's Plans, which
	// the SUC settings below (Plans, Deployment, RetryFailed, AllowRancher, ScanAPIs)
	// are for.
	Driver Driver

	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// WatchKube and WatchDynamic carry no request timeout: watches last long. Nil
	// means Kube and Dynamic.
	WatchKube    kubernetes.Interface
	WatchDynamic dynamic.Interface
	// ScanAPIs reads the sources of the removed-API check (Helm releases, applied
	// objects, /metrics, files); nil skips that check.
	ScanAPIs func(context.Context) (*deprecation.Scan, error)

	// Channel or Version is the target (Channel "stable" when both are empty).
	Channel string
	Version *version.Target
	Agents  upgradepath.AgentMode
	// NodeSelector, when set, limits the agents upgraded; the others must stay within
	// the skew policy at every hop.
	NodeSelector labels.Selector
	// Channels fetches the channel list; nil works only for an explicit Version on
	// the current minor. FetchChannels asks it even when the path might not need it
	// (the user named a channel server).
	Channels      ChannelSource
	FetchChannels bool

	// Plans is how Plans are built: namespace, service account, concurrency, drain.
	Plans suc.PlanConfig
	// Deployment is the controller's Deployment, checked before anything is written.
	Deployment string

	// Wait follows the upgrade to the target; without it Execute applies one step.
	Wait bool
	// RetryFailed deletes the failed Jobs of our Plans so the controller runs them again.
	RetryFailed bool
	// Force goes on despite skew errors now, at a hop's target, or after a hop.
	Force bool
	// Strict fails, not warns, on APIs a hop removes that clients still request.
	Strict bool
	// AcceptHazards are hop hazard IDs acknowledged (--accept-hazard); NoHazards turns
	// the hop hazards off (--hazards=false).
	AcceptHazards []string
	NoHazards     bool
	// Releases is the release data hazards are judged with and stepping stones chosen
	// from; nil means the embedded table.
	Releases *release.Index
	// AllowRancher goes on although Rancher seems to manage the cluster.
	AllowRancher bool
	// Snapshot takes an etcd snapshot before the first server Plan this run applies.
	Snapshot       bool
	SnapshotMaxAge time.Duration

	// NodeTimeout bounds how long a server may take to come back after its upgrade
	// Job ends, and the control plane to reach a hop's version; 0 means 10 minutes.
	NodeTimeout time.Duration
	// StallAfter is how long a Plan may look complete while a node still runs
	// another version before the run calls it stuck; 0 means a minute.
	StallAfter time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Emit receives what the run does and sees, for the caller to print.
	Emit func(Event)
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// DefaultNodeTimeout is NodeTimeout's default.
const DefaultNodeTimeout = 10 * time.Minute

func (c *Config) nodeTimeout() time.Duration {
	if c.NodeTimeout > 0 {
		return c.NodeTimeout
	}
	return DefaultNodeTimeout
}

func (c *Config) emit(e Event) {
	if c.Emit != nil {
		c.Emit(e)
	}
}

// planConfig is how this run builds Plans, with the hazards it accepted recorded:
// sorted and once each, so that a re-run with the same flags changes nothing.
func (c *Config) planConfig() suc.PlanConfig {
	p := c.Plans
	p.AcceptedHazards = slices.Compact(slices.Sorted(slices.Values(c.AcceptHazards)))
	return p
}

func (c *Config) plans() *suc.Client {
	return &suc.Client{Dynamic: c.Dynamic, Namespace: c.Plans.Namespace}
}

// request is the planner's request for an inventory, with the target pinned once
// resolved: a channel may move while the upgrade runs.
func (c *Config) request() upgradepath.Request {
	req := upgradepath.Request{Channel: c.Channel, Version: c.Version, Agents: c.Agents, CustomImage: c.Plans.ImageRepository != "", NodeSelector: c.NodeSelector,
		AcceptHazards: c.AcceptHazards, Releases: c.Releases}
	if req.Channel == "" && req.Version == nil {
		req.Channel = channel.Default
	}
	return req
}
