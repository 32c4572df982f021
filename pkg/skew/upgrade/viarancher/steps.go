// Package viarancher holds the upgrade engine's drivers for clusters Rancher manages:
// Provisioned sets a provisioning.cattle.io Cluster's version, Imported a
// management.cattle.io Cluster's, and Rancher moves the nodes. The engine
// (pkg/skew/upgrade) keeps the path one minor at a time, the refusals and the hop
// loop; these drivers say how a hop is set, followed and verified.
package viarancher

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// hopSteps are the versions Rancher is set to, in order, as the engine's steps: each
// moves every node of the hops to that version, in the order Rancher keeps.
func hopSteps(path *upgradepath.Path) []*upgrade.Step {
	vs := rancher.Hops(path)
	steps := make([]*upgrade.Step, len(vs))
	for i, v := range vs {
		hop := upgradepath.Hop{Number: i + 1, To: v}
		for _, h := range path.Hops {
			if !h.To.Equal(v) {
				continue
			}
			if len(hop.Servers)+len(hop.Agents) == 0 {
				hop.From = h.From
			}
			hop.Servers = append(hop.Servers, h.Servers...)
			hop.Agents = append(hop.Agents, h.Agents...)
		}
		steps[i] = &upgrade.Step{Hop: hop, Phase: upgrade.PhaseCluster, Index: i + 1, Total: len(vs)}
	}
	return steps
}

// after is the step that follows done (the first when done is nil) whose version
// pending says is not reached yet; nil when none is left.
func after(steps []*upgrade.Step, done *upgrade.Step, pending func(v string) bool) *upgrade.Step {
	from := 0
	if done != nil {
		from = done.Index
	}
	for _, s := range steps[from:] {
		if pending(s.Hop.To.String()) {
			return s
		}
	}
	return nil
}

// versions is the steps' versions, "a -> b".
func versions(steps []*upgrade.Step) string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Hop.To.String()
	}
	return strings.Join(out, " -> ")
}

// notRancherDistro refuses a cluster whose nodes report no K3s or RKE2 release.
func notRancherDistro(ref string, p *upgrade.Proposal) *upgrade.Refusal {
	return &upgrade.Refusal{ID: upgrade.RefusedState, Reason: fmt.Sprintf("the nodes of %s report no K3s or RKE2 release (%s)", ref, p.Cluster.Inventory.Distro.Name())}
}

// refuse sets the proposal's refusal: skew findings a hop would break first, then
// the reasons Rancher's own state gives, one line each.
func refuse(p *upgrade.Proposal, ref string, reasons []string) {
	if r := upgrade.BlockingRefusal(p.Path, "kubectl skew plan --rancher-cluster "+ref+" shows every finding"); r != nil {
		p.Refused = r
		return
	}
	if len(reasons) > 0 {
		p.Refused = &upgrade.Refusal{ID: upgrade.RefusedState, Reason: strings.Join(reasons, "; ")}
	}
}

// readError names what could not be read; a cluster that is not there says where
// to look instead.
func readError(what, list string, err error) error {
	var nf *rancher.NotFoundError
	if errors.As(err, &nf) {
		return fmt.Errorf("%v; %s lists them", err, list)
	}
	return &cluster.ReadError{What: what, Err: err}
}

// requireAccess asks the management cluster whether this identity may do what the
// run needs (the access set named set) and returns the *access.MissingError naming
// what it may not.
func requireAccess(ctx context.Context, cfg *upgrade.Config, set string, o access.Options) error {
	err := access.Require(ctx, cfg.Kube, access.Find(set), o)
	var missing *access.MissingError
	if errors.As(err, &missing) {
		return missing
	}
	if err != nil {
		return &cluster.ReadError{What: "check permissions on the management cluster", Err: err}
	}
	return nil
}

func note(cfg *upgrade.Config, format string, args ...any) {
	if cfg.Emit != nil {
		cfg.Emit(upgrade.Event{Kind: upgrade.EventNote, Message: fmt.Sprintf(format, args...)})
	}
}

// hopVersions is the versions of steps.
func hopVersions(steps []*upgrade.Step) []version.Version {
	out := make([]version.Version, len(steps))
	for i, s := range steps {
		out[i] = s.Hop.To
	}
	return out
}
