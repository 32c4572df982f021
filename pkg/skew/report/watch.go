package report

import (
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// WatchChange is one change of the findings "kubectl skew watch" reports (built by
// watch.Change.Report): -o json prints one per line. Unlike the other reports it is
// not a versioned object, as a line of a stream rather than a document.
type WatchChange struct {
	Time     time.Time `json:"time"`
	Nodes    int       `json:"nodes"`
	Errors   int       `json:"errors"`
	Warnings int       `json:"warnings"`
	Info     int       `json:"info"`
	// Added and Removed are never null, so that a consumer can iterate them unchecked.
	Added   []policy.Finding `json:"added"`
	Removed []policy.Finding `json:"removed"`
	// Target is the --target as given; the findings a control plane there would add
	// that appeared or went are TargetAdded and TargetRemoved.
	Target        string           `json:"target,omitempty"`
	TargetAdded   []policy.Finding `json:"targetAdded,omitempty"`
	TargetRemoved []policy.Finding `json:"targetRemoved,omitempty"`
}
