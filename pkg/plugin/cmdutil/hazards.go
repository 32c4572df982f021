package cmdutil

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// HazardFlags are the hop-hazard flags shared by check --target, plan and upgrade.
type HazardFlags struct {
	Enabled  bool
	Accepted []string
	// ReleaseData is --release-data (default $KUBECTL_SKEW_RELEASE_DATA); Releases is
	// what LoadReleases read from it.
	ReleaseData string
	Releases    *release.Index
}

func (h *HazardFlags) AddFlags(cmd *cobra.Command, accept bool) {
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

// acceptedSet is --accept-hazard as a set.
func (h *HazardFlags) acceptedSet() map[string]bool {
	out := map[string]bool{}
	for _, id := range h.Accepted {
		out[id] = true
	}
	return out
}

// JudgeHazards reads the facts the hops need, once, and judges them. The findings are
// appended to the report's list; entries that could not be judged become Skipped.
func (h *HazardFlags) JudgeHazards(ctx context.Context, c *Clients, nodes []corev1.Node, hops []hazard.Hop) ([]hazard.HopReport, []policy.Finding, []cluster.Skipped) {
	if !h.Enabled || len(hops) == 0 {
		return nil, nil, nil
	}
	facts := hazard.Read(ctx, hazardClients(c), nodes, hazard.Needs(hops))
	reports := hazard.Evaluate(hops, facts, h.acceptedSet())
	findings, skipped := hazard.PolicyFindings(reports)
	out := make([]cluster.Skipped, len(skipped))
	for i, s := range skipped {
		out[i] = cluster.Skipped{What: s[0], Reason: s[1]}
	}
	return reports, findings, out
}

// hazardClients are the clients the hazard facts are read with: their own request
// budget, since by the time they run the node pages and the API scan have spent the
// shared client's (client-go's default of five requests a second would make each of
// these few lists wait up to 200 ms on the ones before it).
func hazardClients(c *Clients) hazard.Clients {
	out := hazard.Clients{Kube: c.Kube, Dynamic: c.Dynamic}
	if c.Config == nil {
		return out // fake clients: no rate limit to escape
	}
	cfg := rest.CopyConfig(c.Config)
	cfg.QPS, cfg.Burst = 50, 100
	if d, err := dynamic.NewForConfig(cfg); err == nil {
		out.Dynamic = d
	}
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	if k, err := kubernetes.NewForConfig(cfg); err == nil {
		out.Kube = k
	}
	return out
}

// OldestAPIServer is the control plane version hops start from.
func OldestAPIServer(inv *cluster.Inventory) (version.Version, bool) {
	vs := inv.APIServerVersions()
	if len(vs) == 0 {
		return version.Version{}, false
	}
	lo := vs[0]
	for _, v := range vs[1:] {
		if v.Compare(lo) < 0 {
			lo = v
		}
	}
	return lo, true
}

// PathHazards judges the hops of a planned path; plan has only the inventory, so the
// nodes are listed here once more (their annotations are not in the inventory).
func (h *HazardFlags) PathHazards(ctx context.Context, env *Env, path *upgradepath.Path) ([]hazard.HopReport, []cluster.Skipped, error) {
	if !h.Enabled || len(path.Hops) == 0 {
		return nil, nil, nil
	}
	c, err := env.Clients()
	if err != nil {
		return nil, nil, err
	}
	nodes, err := cluster.ListAll(ctx, func(o metav1.ListOptions) ([]corev1.Node, string, error) {
		l, err := c.Kube.CoreV1().Nodes().List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	if err != nil {
		return nil, nil, APIError("list nodes", c.Server, err)
	}
	hops := preflight.HazardHops(path)
	reports, _, skipped := h.JudgeHazards(ctx, c, nodes, hops)
	return reports, skipped, nil
}
