package hazard

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// newestPatch stands for "the newest patch of a minor" on hops whose patch is not
// known yet (check --target vX.Y): a channel moves to the newest patch, so hazards that
// land in a patch of that minor are assumed to be crossed.
const newestPatch = 1<<19 - 1

// TargetHops are the hops from the control plane (from, its oldest kube-apiserver) to
// target, one minor at a time. Without an exact target, each hop lands on the newest
// release of its minor the release data knows (a placeholder newer than every patch
// when it knows none); the last lands on the exact target when there is one.
func TargetHops(from version.Version, target version.Target, releases *release.Index) []Hop {
	var out []Hop
	cur, curName := from, from.String()
	x := Hop{Releases: releases}.data()
	for m := from.Minor + 1; m <= target.Minor && from.Major == target.Major; m++ {
		to := version.Version{Major: from.Major, Minor: m, Patch: newestPatch, Distro: from.Distro}
		if r := x.NewestOfMinor(from.Distro, to.MinorVersion()); r != nil {
			to = r.Version
		}
		// The placeholder patch is never shown: "v1.34 -> v1.35", not its number.
		toName := to.MinorString()
		if m == target.Minor && target.Exact {
			to = target.Version
			to.Distro = from.Distro
			toName = target.String()
		}
		h := Hop{From: cur, To: to, Name: curName + " -> " + toName, Releases: releases}
		if len(out) > 0 {
			walked := cur
			h.Walked = &walked
		}
		out = append(out, h)
		cur, curName = to, toName
	}
	if len(out) == 0 && target.Exact && target.Minor == from.Minor && from.Compare(target.Version) < 0 {
		to := target.Version
		to.Distro = from.Distro
		out = append(out, Hop{From: from, To: to, Name: from.String() + " -> " + target.String(), Releases: releases})
	}
	return out
}
