package upgrade

import (
	"context"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Driver is one way of moving a cluster's nodes to a release: the
// system-upgrade-controller's Plans, Rancher's version field, the operator's own
// tool. The engine (Prepare and Execute) owns what every way shares: the path one
// minor at a time, the judging, the refusal, the order of the steps, the gates
// between them and the events; a driver owns how nodes move and how their progress
// is seen.
//
// Prepare calls Read, plans the path on the inventory it returns, then calls
// Propose. Execute calls Begin once, then for each step Apply, Follow (with Wait)
// and Next, until Next returns no step; a step whose Waiting is set is not applied:
// the engine calls Next until nothing holds it back. End comes last, always.
type Driver interface {
	// Read reads the facts the driver works from, once, and writes nothing: the
	// cluster as the path is planned on, and the driver's own preconditions (its
	// permissions, its controller). A precondition that does not hold is a
	// *Refusal.
	Read(ctx context.Context, cfg *Config) (*Cluster, error)
	// Propose completes p, whose Path is planned: the first step, the driver's
	// checks and, when the run must not start, its refusal (p.Refused).
	Propose(ctx context.Context, p *Proposal) error
	// Begin does what a run does once before its first step (retry failed Jobs,
	// clear an earlier abort request, take a snapshot the whole run relies on).
	Begin(ctx context.Context, p *Proposal, out *Outcome) error
	// Apply writes the step: once it returns, the mechanism moves the step's nodes.
	Apply(ctx context.Context, step *Step, out *Outcome) error
	// Follow waits until the step's nodes have moved, emitting what it sees. A node
	// that fails or does not come back is an error that names it.
	Follow(ctx context.Context, step *Step) error
	// Next reads the cluster again and returns the rest of the path toward its
	// target and the next step (nil once every node runs the target). done is the
	// step just followed, verified here: its nodes on the hop's release, and no
	// skew rule broken that held before; nil when the engine only waits for a gate.
	Next(ctx context.Context, done *Step, path *upgradepath.Path) (*upgradepath.Path, *Step, error)
	// End is told how the run ended (err nil: as far as it could go) and releases
	// what the driver holds: watches, a Lease, a record to close.
	End(ctx context.Context, out *Outcome, err error)
}
