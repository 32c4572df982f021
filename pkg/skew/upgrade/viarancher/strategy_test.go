package viarancher

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// TestStrategyChange: the strategy changes only in the fields asked for, and each
// change is said.
func TestStrategyChange(t *testing.T) {
	cur := rancher.Strategy{ServerConcurrency: 1, WorkerConcurrency: 1}
	n := func(v int64) *int64 { return &v }
	b := func(v bool) *bool { return &v }
	for _, tc := range []struct {
		name   string
		change StrategyChange
		want   rancher.Strategy
		says   string
	}{
		{"nothing asked", StrategyChange{}, cur, ""},
		{"servers", StrategyChange{ServerConcurrency: n(2)}, rancher.Strategy{ServerConcurrency: 2, WorkerConcurrency: 1}, "serverConcurrency 1 -> 2"},
		{"agents and drains", StrategyChange{WorkerConcurrency: n(4), DrainWorkerNodes: b(true), DrainServerNodes: b(false)},
			rancher.Strategy{ServerConcurrency: 1, WorkerConcurrency: 4, DrainWorkerNodes: true}, "workerConcurrency 1 -> 4; drainWorkerNodes false -> true"},
		{"the same value is no change", StrategyChange{ServerConcurrency: n(1)}, cur, ""},
	} {
		got, changes := tc.change.apply(cur)
		if got != tc.want || strings.Join(changes, "; ") != tc.says {
			t.Errorf("%s: %+v %q", tc.name, got, changes)
		}
	}
}
