package cmdutil

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
)

// HazardFlags are the hop-hazard flags shared by check --target, plan and upgrade.
type HazardFlags struct {
	// Hazards is where the flags bind: the command's judge.Config.Hazards, pointed at
	// before AddFlags, so that nothing is copied from one to the other. AddFlags gives
	// a command that keeps no judge.Config settings of its own.
	*judge.Hazards
	// ReleaseData is --release-data (default $KUBECTL_SKEW_RELEASE_DATA): where
	// LoadReleases reads Releases from.
	ReleaseData string
}

func (h *HazardFlags) AddFlags(cmd *cobra.Command, accept bool) {
	if h.Hazards == nil {
		h.Hazards = &judge.Hazards{}
	}
	cmd.Flags().BoolVar(&h.Enabled, "hazards", true, "Judge each hop against the known K3s/RKE2/Kubernetes hop hazards (docs/hazards.md)")
	AddReleaseDataFlag(cmd, &h.ReleaseData)
	if accept {
		cmd.Flags().StringArrayVar(&h.Accepted, "accept-hazard", nil, "Acknowledge a hop hazard by ID (SKEW9xx) so it no longer blocks; repeatable")
	}
}

// Validate refuses an --accept-hazard that names no hazard: a typo would otherwise
// leave the hazard blocking with no word about why the acknowledgement did nothing.
func (h *HazardFlags) Validate() error {
	for _, id := range h.Accepted {
		if _, ok := hazard.ByID(id); !ok {
			return fmt.Errorf("--accept-hazard %q: no hop hazard has that ID; the IDs are SKEW9xx, listed in docs/hazards.md", id)
		}
	}
	return nil
}

// JudgeSource is where the judging reads through c: the removed-API scan that apis
// choose, and the hazard facts.
func JudgeSource(c *Clients, apis *APIFlags) judge.Source {
	return judge.Source{ScanAPIs: apis.Scanner(c), Hazards: hazardClients(c)}
}

// hazardClients are the clients the hazard facts are read with: a request budget of
// their own, since by then the node pages and the API scan have spent the shared
// client's. Clients that cannot be built leave the shared ones, slower but no reason
// to fail the command.
func hazardClients(c *Clients) hazard.Clients {
	d, err := c.Derived(OwnBudget)
	if err != nil {
		d = c
	}
	return hazard.Clients{Kube: d.Kube, Dynamic: d.Dynamic}
}
