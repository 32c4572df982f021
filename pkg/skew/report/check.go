package report

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// CheckReport is printed by "kubectl skew check".
type CheckReport struct {
	metav1.TypeMeta `json:",inline"`
	// Context is the kubeconfig context checked; set in fleet reports.
	Context string `json:"context,omitempty"`
	// Server is the apiserver URL; set in fleet reports.
	Server string `json:"server,omitempty"`
	// Error says why the cluster could not be checked; Cluster is nil then.
	Error string `json:"error,omitempty"`
	// Next is the next upgrade target on --channel, in fleet reports.
	Next     *NextStep          `json:"next,omitempty"`
	Summary  CheckSummary       `json:"summary"`
	Cluster  *cluster.Inventory `json:"cluster"`
	Findings []policy.Finding   `json:"findings"`
	// APIs is what the removed-API scan read; nil when none ran (check without --target or -f).
	APIs *APIScan `json:"apis,omitempty"`
	// Hazards are the hop hazards per hop of the path to --target (docs/hazards.md);
	// their findings are also in Findings.
	Hazards []hazard.HopReport `json:"hazards,omitempty"`
}

// CheckSummary is the one-line summary, as data.
type CheckSummary struct {
	Distro string `json:"distro"`
	// ControlPlane is the newest kube-apiserver version ("" when unknown).
	ControlPlane string `json:"controlPlane,omitempty"`
	// OldestControlPlane is the oldest kube-apiserver version, when it differs.
	OldestControlPlane string `json:"oldestControlPlane,omitempty"`
	Nodes              int    `json:"nodes"`
	Servers            int    `json:"servers"`
	Agents             int    `json:"agents"`
	LowestKubelet      string `json:"lowestKubelet,omitempty"`
	HighestKubelet     string `json:"highestKubelet,omitempty"`
	Errors             int    `json:"errors"`
	Warnings           int    `json:"warnings"`
	Infos              int    `json:"infos"`
	Target             string `json:"target,omitempty"`
	// FailOn is the severity at and above which the command exits 3.
	FailOn string `json:"failOn"`
	// Failed is true when the command exits 3.
	Failed bool `json:"failed"`
}

// NewCheckReport returns an empty CheckReport with its type set.
func NewCheckReport() *CheckReport { return &CheckReport{TypeMeta: typeMeta("CheckReport")} }

// DeepCopyObject implements runtime.Object.
func (r *CheckReport) DeepCopyObject() Object { return deepCopyJSON(r) }

// APIScan says what the removed-API scan read and which hops it judged.
type APIScan struct {
	// From is the control plane's minor today; Hops are the minors judged after it.
	From string   `json:"from"`
	Hops []string `json:"hops"`
	// Releases, Objects and Files count the deployed Helm releases, the objects with a
	// last-applied configuration, and the -f files read; Metrics says whether the
	// apiserver's deprecated-API gauge was read.
	Releases int  `json:"releases"`
	Objects  int  `json:"objects"`
	Files    int  `json:"files"`
	Metrics  bool `json:"metrics"`
	// Scanned is the same in words.
	Scanned string `json:"scanned"`
}
