package upgrade

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// TestImportedStrategy: the strategy changes only for the flags given, and each change
// is said.
func TestImportedStrategy(t *testing.T) {
	cur := rancher.Strategy{ServerConcurrency: 1, WorkerConcurrency: 1}
	for _, tc := range []struct {
		name    string
		changed map[string]bool
		o       UpgradeOptions
		want    rancher.Strategy
		says    string
	}{
		{"nothing asked", nil, UpgradeOptions{ServerConcurrency: 3, AgentConcurrency: 3}, cur, ""},
		{"servers", map[string]bool{"server-concurrency": true}, UpgradeOptions{ServerConcurrency: 2}, rancher.Strategy{ServerConcurrency: 2, WorkerConcurrency: 1}, "serverConcurrency 1 -> 2"},
		{"agents and drains", map[string]bool{"agent-concurrency": true, "rancher-drain-agents": true, "rancher-drain-servers": true},
			UpgradeOptions{AgentConcurrency: 4, imported: importedFlags{DrainAgents: true}},
			rancher.Strategy{ServerConcurrency: 1, WorkerConcurrency: 4, DrainWorkerNodes: true}, "workerConcurrency 1 -> 4; drainWorkerNodes false -> true"},
		{"the same value is no change", map[string]bool{"server-concurrency": true}, UpgradeOptions{ServerConcurrency: 1}, cur, ""},
	} {
		o := tc.o
		o.changed = func(f string) bool { return tc.changed[f] }
		got, changes := o.importedStrategy(cur)
		if got != tc.want || strings.Join(changes, "; ") != tc.says {
			t.Errorf("%s: %+v %q", tc.name, got, changes)
		}
	}
}
