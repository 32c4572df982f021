package report

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// UpgradeReport is what "kubectl skew upgrade" decided and did: the preflight
// checks, the path, and the Plans of the step it applied (or would apply).
type UpgradeReport struct {
	metav1.TypeMeta `json:",inline"`
	Summary         UpgradeSummary   `json:"summary"`
	Preflight       []PreflightCheck `json:"preflight"`
	// Path is the hop table, as "kubectl skew plan" prints it.
	Path *PlanReport `json:"path,omitempty"`
	// Plans are the Plans of the current step.
	Plans []UpgradePlan `json:"plans"`
	// Pruned are our Plans of other versions the step deletes.
	Pruned []string `json:"pruned,omitempty"`
}

// UpgradeSummary is the run in a few fields.
type UpgradeSummary struct {
	Distro    string `json:"distro"`
	Target    string `json:"target"`
	Namespace string `json:"namespace"`
	// Hop and Hops place the current step ("hop 2 of 3"); Phase is servers or agents.
	Hop   int    `json:"hop"`
	Hops  int    `json:"hops"`
	Phase string `json:"phase,omitempty"`
	// Resumed is true when the step's Plans exist from an earlier run.
	Resumed bool `json:"resumed"`
	// DryRun is "", "client" or "server".
	DryRun string `json:"dryRun,omitempty"`
	// UpToDate is true when every node already runs the target.
	UpToDate bool `json:"upToDate"`
	// Refused is true when a preflight check failed: nothing was written.
	Refused bool `json:"refused"`
	// Waiting says what holds the next node back (a server not back yet, a control
	// plane not on the hop's version); nothing is applied while it is set.
	Waiting string `json:"waiting,omitempty"`
	Next    string `json:"next,omitempty"`
}

// PreflightCheck is one named check: pass, warn, fail or skipped.
type PreflightCheck struct {
	Name    string `json:"name"`
	Result  string `json:"result"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
}

// UpgradePlan is one Plan of the step.
type UpgradePlan struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	Version     string `json:"version"`
	Nodes       int    `json:"nodes"`
	Concurrency int64  `json:"concurrency"`
	// Strategy is cordon or drain, with prepare when the Plan waits for its servers.
	Strategy string `json:"strategy"`
	Image    string `json:"image"`
	// Action is created, configured or unchanged once applied; empty before.
	Action string `json:"action,omitempty"`
}

// NewUpgradeReport returns an empty UpgradeReport with its type set.
func NewUpgradeReport() *UpgradeReport {
	return &UpgradeReport{TypeMeta: typeMeta("UpgradeReport"), Preflight: []PreflightCheck{}, Plans: []UpgradePlan{}}
}

// DeepCopyObject implements runtime.Object.
func (r *UpgradeReport) DeepCopyObject() Object { return deepCopyJSON(r) }
