// Package judge is the judging of a cluster on its way to a newer control plane,
// written once for every command that does it: check --target, plan, the upgrade's
// preflight and watch.
//
// It works in two steps, like preflight. Read gathers the facts once and concurrently:
// the removed-API scan and the facts the hop hazards need. Everything else is pure: it
// turns the inventory, the path and those facts into skew findings, removed-API
// verdicts and hazard reports, so each rule is table-tested on made-up clusters.
//
// The rules every command must apply alike each have one home:
//   - every hop starts at the oldest kube-apiserver, and so do the removed-API hops
//     (From, used by TargetHops and PathHops);
//   - a hazard blocks when it is blocking and not accepted (hazard.Finding.Blocks);
//   - a hop with blocking skew findings refuses (upgradepath.Path.Blocking).
package judge

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Config is one judging's settings. The commands bind their flags straight into its
// fields, so what the user said is held in one place.
type Config struct {
	// Target is check --target: the hops from the oldest kube-apiserver to it are
	// judged. Nil judges the cluster as it is; plan and the upgrade judge their path.
	Target  *version.Target
	Hazards Hazards
	APIs    APIs
}

// Hazards are the hop-hazard settings.
type Hazards struct {
	// Enabled judges the hop hazards (--hazards; the commands turn it on by default).
	Enabled bool
	// Accepted are the hazard IDs the operator acknowledged (--accept-hazard): still
	// reported, no longer blocking, and no stepping stone is planned for them.
	Accepted []string
	// Releases is the release data the hazards are judged with and stepping stones
	// chosen from (--release-data); nil means the embedded table.
	Releases *release.Index
}

// APIs choose the removed-API scan.
type APIs struct {
	// Cluster scans the cluster's Helm releases, applied objects and /metrics (--scan-apis).
	Cluster bool
	// MaxReleaseBytes bounds one Helm release, stored or decompressed
	// (--max-release-size); 0 means deprecation.DefaultMaxReleaseBytes.
	MaxReleaseBytes int64
	// Manifests are the -f manifests, read before anything touches the cluster; nil
	// without -f.
	Manifests *deprecation.Scan
}

// Enabled says whether there is anything to scan.
func (a APIs) Enabled() bool { return a.Cluster || a.Manifests != nil }
