package viarancher

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// StrategyChange is what to change in an imported cluster's upgrade strategy; a
// nil field keeps what Rancher has.
type StrategyChange struct {
	ServerConcurrency, WorkerConcurrency *int64
	DrainServerNodes, DrainWorkerNodes   *bool
}

// apply is cur with the change, and the changes in words; nothing asked, nothing
// changes.
func (c StrategyChange) apply(cur rancher.Strategy) (rancher.Strategy, []string) {
	next := cur
	if c.ServerConcurrency != nil {
		next.ServerConcurrency = *c.ServerConcurrency
	}
	if c.WorkerConcurrency != nil {
		next.WorkerConcurrency = *c.WorkerConcurrency
	}
	if c.DrainServerNodes != nil {
		next.DrainServerNodes = *c.DrainServerNodes
	}
	if c.DrainWorkerNodes != nil {
		next.DrainWorkerNodes = *c.DrainWorkerNodes
	}
	var changes []string
	if next.ServerConcurrency != cur.ServerConcurrency {
		changes = append(changes, fmt.Sprintf("serverConcurrency %d -> %d", cur.ServerConcurrency, next.ServerConcurrency))
	}
	if next.WorkerConcurrency != cur.WorkerConcurrency {
		changes = append(changes, fmt.Sprintf("workerConcurrency %d -> %d", cur.WorkerConcurrency, next.WorkerConcurrency))
	}
	if next.DrainServerNodes != cur.DrainServerNodes {
		changes = append(changes, fmt.Sprintf("drainServerNodes %t -> %t", cur.DrainServerNodes, next.DrainServerNodes))
	}
	if next.DrainWorkerNodes != cur.DrainWorkerNodes {
		changes = append(changes, fmt.Sprintf("drainWorkerNodes %t -> %t", cur.DrainWorkerNodes, next.DrainWorkerNodes))
	}
	return next, changes
}

func joinChanges(changes []string) string { return strings.Join(changes, "; ") }
