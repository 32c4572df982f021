package judge

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Hops are what the judging looks at on the way from the cluster as it is: where the
// way starts, the hops the hazards are judged on, and the minors removed APIs are
// judged against.
type Hops struct {
	// From is where every hop starts (From); nil when no kube-apiserver version is
	// known, and then no removed API can be judged.
	From *version.Version
	// Hazards are the hops the hazard table judges; none when the hazards are off.
	Hazards []hazard.Hop
	// Scan says whether the removed-API scan runs; APIs are the minors after From it
	// judges (none judges the cluster as it is: check -f without --target).
	Scan bool
	APIs []deprecation.Hop
}

// From is where the way to any target starts: the oldest kube-apiserver. Its APIs are
// the ones served today, so the removed-API hops start at its minor; and the hazards of
// a target are judged from it. Nil when no kube-apiserver version is known.
func From(inv *cluster.Inventory) *version.Version {
	if inv == nil {
		return nil
	}
	oldest, _, ok := inv.APIServerRange()
	if !ok {
		return nil
	}
	return &oldest
}

// TargetHops are check --target's hops: one minor at a time from From to cfg.Target.
// The scan runs with a target, or with -f manifests alone.
func TargetHops(inv *cluster.Inventory, cfg Config) Hops {
	h := Hops{From: From(inv), Scan: cfg.Target != nil || cfg.APIs.Manifests != nil}
	if h.From == nil || cfg.Target == nil {
		return h
	}
	h.APIs = targetAPIHops(h.From.MinorVersion(), *cfg.Target)
	if cfg.Hazards.Enabled {
		h.Hazards = hazard.TargetHops(*h.From, *cfg.Target, cfg.Hazards.Releases)
	}
	return h
}

// PathHops are the hops of a planned path, as plan and the upgrade's preflight judge
// them. A path without hops (nothing to do) has nothing to judge.
func PathHops(inv *cluster.Inventory, p *upgradepath.Path, cfg Config) Hops {
	if p == nil || len(p.Hops) == 0 {
		return Hops{}
	}
	h := Hops{From: From(inv), Scan: cfg.APIs.Enabled()}
	if h.From != nil {
		h.APIs = pathAPIHops(h.From.MinorVersion(), p)
	}
	if cfg.Hazards.Enabled {
		h.Hazards = pathHazardHops(p)
	}
	return h
}

// targetAPIHops are the minors after from up to the target's; the last is the exact
// release when the target is one, so a chart's kubeVersion is checked against it.
func targetAPIHops(from version.MinorVersion, t version.Target) []deprecation.Hop {
	hops := deprecation.Hops(from, t.Version.MinorVersion())
	if n := len(hops); n > 0 && t.Exact {
		v := t.Version
		hops[n-1].Version = &v
	}
	return hops
}

// pathAPIHops are the minors the path's servers reach after from, each with its exact
// release: one per hop that moves servers to a new minor. Agents-only hops and a hop
// that finishes a minor the control plane already serves remove nothing.
func pathAPIHops(from version.MinorVersion, p *upgradepath.Path) []deprecation.Hop {
	var out []deprecation.Hop
	last := from
	for i := range p.Hops {
		h := &p.Hops[i]
		if len(h.Servers) == 0 || h.To.MinorVersion().Compare(last) <= 0 {
			continue
		}
		last = h.To.MinorVersion()
		out = append(out, deprecation.Hop{Minor: last, Version: &h.To})
	}
	return out
}

// hopFor is the index of the path's hop a removed-API verdict belongs to: the first
// hop whose version reaches the verdict's minor (the last hop when none does).
func hopFor(p *upgradepath.Path, v deprecation.Verdict) int {
	for i := range p.Hops {
		if p.Hops[i].To.MinorVersion().Compare(v.Hop) >= 0 {
			return i
		}
	}
	return len(p.Hops) - 1
}

// pathHazardHops are the path's hops as the hazard table judges them: each knows the
// kubelet versions the earlier hops leave behind, and the release data the path was
// planned with.
func pathHazardHops(p *upgradepath.Path) []hazard.Hop {
	from := make([]version.Version, len(p.Hops))
	to := make([]version.Version, len(p.Hops))
	nodes := make([][]string, len(p.Hops))
	for i, h := range p.Hops {
		from[i], to[i] = h.From, h.To
		for _, s := range append(append([]upgradepath.NodeStep{}, h.Servers...), h.Agents...) {
			nodes[i] = append(nodes[i], s.Name)
		}
	}
	return hazard.PathHops(from, to, nodes, p.Releases)
}
