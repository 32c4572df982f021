package report

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// PlanReport is printed by "kubectl skew plan": the path from the cluster to a target.
type PlanReport struct {
	metav1.TypeMeta `json:",inline"`
	Summary         PlanSummary `json:"summary"`
	Hops            []PlanHop   `json:"hops"`
	// Notes explain choices a reader may not expect.
	Notes []string `json:"notes,omitempty"`
	// APIs is what the removed-API scan read; its findings are in the hops they concern.
	APIs *APIScan `json:"apis,omitempty"`
}

// PlanSummary is the path in one line, as data.
type PlanSummary struct {
	Distro string `json:"distro"`
	// LowestServer and HighestServer are where the servers are now.
	LowestServer  string `json:"lowestServer"`
	HighestServer string `json:"highestServer"`
	Target        string `json:"target"`
	// TargetSource is where the target came from: `channel "stable"` or "--version".
	TargetSource string `json:"targetSource"`
	// ChannelServer is the channel list consulted; empty when none was.
	ChannelServer string `json:"channelServer,omitempty"`
	// Agents is the agent mode: each or final.
	Agents string `json:"agents"`
	Hops   int    `json:"hops"`
	// UpToDate is true when every node already runs the target.
	UpToDate bool `json:"upToDate"`
	// Blocked is true when a finding or an unacknowledged blocking hazard stops a hop
	// (exit code 3).
	Blocked bool `json:"blocked"`
	// Next says what "kubectl skew upgrade" with the same flags would apply first.
	Next string `json:"next"`
}

// PlanHop is one hop: one exact version, servers one at a time, then agents.
type PlanHop struct {
	Hop int `json:"hop"`
	// Kind is minor, patch or agents (an agents-only hop).
	Kind   string `json:"kind"`
	From   string `json:"from"`
	To     string `json:"to"`
	Source string `json:"source"`
	// Image is the system-upgrade-controller image that installs To.
	Image string `json:"image"`
	// Nixpkgs is the nixpkgs attribute of To's minor (k3s_1_33), for clusters with
	// NixOS nodes, which move when their configuration names it.
	Nixpkgs string     `json:"nixpkgs,omitempty"`
	Servers []PlanNode `json:"servers"`
	Agents  []PlanNode `json:"agents"`
	// Findings are the skew rules checked before the hop, against its version.
	Findings []policy.Finding `json:"findings"`
	// Blocking are the findings that stop the hop.
	Blocking []policy.Finding `json:"blocking"`
	// APIs are the removed-API findings of the hop: what uses an API it removes (or
	// already removed, on the first hop), charts whose kubeVersion excludes it, and on
	// the last hop what it only deprecates. Upgrade warns about them, or with
	// --strict refuses.
	APIs []policy.Finding `json:"apis,omitempty"`
	// Hazards are the hop hazards of the hop (docs/hazards.md), by SKEW9xx ID.
	Hazards []policy.Finding `json:"hazards,omitempty"`
	// BlockingHazards are the IDs among Hazards that stop the hop, as they stop the
	// upgrade's hazards preflight check: blocking and not acknowledged (--accept-hazard).
	BlockingHazards []string `json:"blockingHazards,omitempty"`
	// Components are the bundled components the hop changes (release data), Kubernetes
	// left out; ReleasesUnknown says why they are not known instead.
	Components      []release.Change `json:"components,omitempty"`
	ReleasesUnknown string           `json:"releasesUnknown,omitempty"`
}

// PlanNode is one node a hop upgrades.
type PlanNode struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Hostname string `json:"hostname,omitempty"`
	From     string `json:"from"`
}

// NewPlanReport returns an empty PlanReport with its type set.
func NewPlanReport() *PlanReport {
	return &PlanReport{TypeMeta: typeMeta("PlanReport"), Hops: []PlanHop{}}
}

// DeepCopyObject implements runtime.Object.
func (r *PlanReport) DeepCopyObject() Object { return deepCopyJSON(r) }
