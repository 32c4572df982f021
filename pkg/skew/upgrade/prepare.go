package upgrade

import (
	"context"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Proposal is what a run would do, worked out before anything is written.
type Proposal struct {
	Cluster *Cluster
	// Path is nil when the cluster is not K3s or RKE2.
	Path *upgradepath.Path
	// Channels is the channel list the path was planned with; nil without one.
	Channels *channel.List
	// Step is the next step; nil when there is nothing to do.
	Step *Step
	// StepErr says why Step cannot be applied now (our Plans still busy elsewhere).
	StepErr error
	// Preview says what applying Step would do to each of its Plans (SUC driver).
	Preview []suc.Applied
	// Preflight are the checks of a driver that runs them as a table (SUC driver).
	Preflight *preflight.Report
	// Refused stops the run before anything is written.
	Refused *Refusal
	// Summary says in words what a driver without Plans to show will do, a line
	// each; Warnings what the operator should know before it goes on.
	Summary, Warnings []string

	driver Driver
	cfg    *Config
}

// UpToDate reports whether every node already runs the target.
func (p *Proposal) UpToDate() bool { return p.Path != nil && len(p.Path.Hops) == 0 }

// Prepare reads the cluster once through the Config's driver, plans the path and the
// next step, and judges them. It writes nothing.
func Prepare(ctx context.Context, cfg Config) (*Proposal, error) {
	d := cfg.Driver
	if d == nil {
		d = &sucDriver{}
	}
	p := &Proposal{driver: d, cfg: &cfg}
	cl, err := d.Read(ctx, p.cfg)
	if err != nil {
		return p, err
	}
	p.Cluster = cl
	if cl.Inventory.Distro.IsRancherDistro() {
		req := cfg.request()
		req.Inventory = cl.Inventory
		if p.Path, p.Channels, err = ResolvePath(ctx, req, cfg.Channels, cfg.FetchChannels); err != nil {
			return p, err
		}
	}
	return p, d.Propose(ctx, p)
}

// Refusal is the error that stops the run before anything is written, if any.
func (p *Proposal) Refusal() error {
	if p.Refused != nil {
		return p.Refused
	}
	if p.Preflight != nil {
		if failed := p.Preflight.Failed(); len(failed) > 0 {
			return &Refusal{ID: RefusedPreflight, Failed: failed, BySkew: p.Preflight.BlockedBySkew}
		}
	}
	return p.StepErr
}
