package upgrade

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade/viarancher"
)

// importedFlags are upgrade's flags for clusters imported into Rancher.
type importedFlags struct {
	DownstreamContext         string
	DrainServers, DrainAgents bool
}

func (f *importedFlags) AddFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.DownstreamContext, "downstream-context", "", "With --rancher-cluster naming an imported cluster: the kubeconfig context of that cluster itself, to take an etcd snapshot there (as --snapshot does) before the first hop; Rancher takes none")
	fs.BoolVar(&f.DrainServers, "rancher-drain-servers", false, "With --rancher-cluster naming an imported cluster: set Rancher's drainServerNodes (only when given)")
	fs.BoolVar(&f.DrainAgents, "rancher-drain-agents", false, "With --rancher-cluster naming an imported cluster: set Rancher's drainWorkerNodes (only when given)")
}

// Validate: these flags mean nothing without --rancher-cluster.
func (f *importedFlags) Validate(changed func(string) bool, rancherMode bool) error {
	for _, name := range []string{"downstream-context", "rancher-drain-servers", "rancher-drain-agents"} {
		if changed(name) && !rancherMode {
			return fmt.Errorf("--%s works with --rancher-cluster naming a cluster imported into Rancher", name)
		}
	}
	return nil
}

// change is what the flags given ask to change in Rancher's upgrade strategy of an
// imported cluster; a flag not given keeps Rancher's value.
func (f *importedFlags) change(changed func(string) bool, plans *suc.PlanConfig) viarancher.StrategyChange {
	var c viarancher.StrategyChange
	if changed("server-concurrency") {
		c.ServerConcurrency = &plans.ServerConcurrency
	}
	if changed("agent-concurrency") {
		c.WorkerConcurrency = &plans.AgentConcurrency
	}
	if changed("rancher-drain-servers") {
		c.DrainServerNodes = &f.DrainServers
	}
	if changed("rancher-drain-agents") {
		c.DrainWorkerNodes = &f.DrainAgents
	}
	return c
}
