package upgrade

import (
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// EventKind says what an Event reports.
type EventKind string

const (
	EventRetry        EventKind = "retry"
	EventSnapshot     EventKind = "snapshot"
	EventSnapshotDone EventKind = "snapshot-done"
	EventPruned       EventKind = "pruned"
	EventApplied      EventKind = "applied"
	EventPhase        EventKind = "phase"
	EventNode         EventKind = "node"
	EventPhaseDone    EventKind = "phase-done"
	EventWaiting      EventKind = "waiting"
	EventRecordon     EventKind = "recordon"
	// EventNote is a line a driver says in its own words (Rancher's progress).
	EventNote EventKind = "note"
)

// Event is one thing the engine or its driver did or saw, for the command to print.
type Event struct {
	Kind     EventKind
	Step     *Step
	Applied  []suc.Applied
	Node     NodeEvent
	Message  string
	Progress Progress
}

// Progress counts node upgrades over the whole run.
type Progress struct {
	Done, Total int
	// ETA is the estimated time left; 0 when nothing has finished yet to go by.
	ETA time.Duration
}

// Outcome is where a run stopped.
type Outcome struct {
	// Last is the last step applied; nil when nothing was to do.
	Last *Step
	// Complete is true when every node runs the target (Wait only).
	Complete bool
	// Canary is the canary step the run stopped after, verified (Wait only).
	Canary *Step
	// Snapshot names the snapshot taken or found, if any.
	Snapshot suc.Record
	// Elapsed per completed phase, for the summary.
	Phases []PhaseTime
}

// PhaseTime is how long one phase took.
type PhaseTime struct {
	Hop   string
	Phase Phase
	To    string
	Nodes int
	Took  time.Duration
}
