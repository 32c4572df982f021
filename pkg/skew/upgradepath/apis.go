package upgradepath

import "github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"

// APIHops are the control-plane versions the path passes through, for the removed-API
// scan: one per hop that moves servers to a new minor, with its exact release.
func (p *Path) APIHops() []deprecation.Hop {
	var out []deprecation.Hop
	last := p.LowestServer.MinorVersion()
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

// HopFor is the index of the hop a removed-API verdict belongs to: the first hop whose
// version reaches the verdict's minor (the last hop when none does).
func (p *Path) HopFor(v deprecation.Verdict) int {
	for i := range p.Hops {
		if p.Hops[i].To.MinorVersion().Compare(v.Hop) >= 0 {
			return i
		}
	}
	return len(p.Hops) - 1
}
