package report

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// StatusReport is printed by "kubectl skew status": the upgrade our Plans describe.
type StatusReport struct {
	metav1.TypeMeta `json:",inline"`
	Summary         StatusSummary   `json:"summary"`
	Plans           []StatusPlan    `json:"plans"`
	Nodes           []StatusNode    `json:"nodes"`
	Failures        []StatusFailure `json:"failures"`
	Snapshot        *StatusSnapshot `json:"snapshot,omitempty"`
	// Rollback is how to go back to the hop's previous version, step by step.
	Rollback []string `json:"rollback,omitempty"`
	// Manual are the nodes no Plan upgrades (no upgrade image for their platform):
	// each needs an upgrade by hand (finding SKEW701).
	Manual []StatusManual `json:"manual,omitempty"`
	// AcceptedHazards are the hop hazards an upgrade run acknowledged
	// (--accept-hazard), as recorded in our Plans.
	AcceptedHazards []StatusHazard `json:"acceptedHazards,omitempty"`
	// Run is the run of --driver command or manual, when its record is there.
	Run *StatusRun `json:"run,omitempty"`
}

// StatusHazard is one acknowledged hop hazard.
type StatusHazard struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// StatusManual is a node to upgrade by hand.
type StatusManual struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Reason  string `json:"reason"`
	// Target is the version the current hop moves the cluster to.
	Target string `json:"target"`
}

// Upgrade states.
const (
	StateNone       = "none"
	StateInProgress = "in-progress"
	StateWaiting    = "waiting"
	StateFailed     = "failed"
	StateComplete   = "complete"
	// StateAborting is an abort that has not run to its end (it gave up waiting for
	// the nodes upgrading when it began): our Plans are narrowed to those nodes.
	StateAborting = "aborting"
)

// StatusSummary is the upgrade in a few fields.
type StatusSummary struct {
	Namespace string `json:"namespace"`
	Distro    string `json:"distro,omitempty"`
	// State is none, in-progress, waiting (a step is done and the next is not applied), failed or complete.
	State  string   `json:"state"`
	Target string   `json:"target,omitempty"`
	Path   []string `json:"path,omitempty"`
	// Hop is the current hop's position in Path (1-based); 0 when unknown.
	Hop  int `json:"hop"`
	Hops int `json:"hops"`
	// HopVersion is the current hop's version; Phase is servers or agents.
	HopVersion string `json:"hopVersion,omitempty"`
	Phase      string `json:"phase,omitempty"`
	// From is the version the current hop started from.
	From string `json:"from,omitempty"`
	// Counts of the current hop's nodes.
	Done     int `json:"done"`
	Applying int `json:"applying"`
	Pending  int `json:"pending"`
	Failed   int `json:"failed"`
	// Canary names the agents the current hop upgrades first (--canary).
	Canary string `json:"canary,omitempty"`
	// Window says when the Plans' maintenance window next opens, while it is closed.
	Window string `json:"window,omitempty"`
	Next   string `json:"next"`
}

// StatusPlan is one of our Plans.
type StatusPlan struct {
	Name     string   `json:"name"`
	Role     string   `json:"role"`
	Version  string   `json:"version"`
	Hop      int      `json:"hop"`
	Nodes    int      `json:"nodes"`
	Done     int      `json:"done"`
	Applying []string `json:"applying"`
	Failed   int      `json:"failed"`
	Complete bool     `json:"complete"`
}

// Node states.
const (
	NodeDone     = "done"
	NodeApplying = "applying"
	NodePending  = "pending"
	NodeFailed   = "failed"
)

// StatusNode is one node of the current hop, or of the last one when complete.
type StatusNode struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Version  string `json:"version"`
	Plan     string `json:"plan"`
	State    string `json:"state"`
	Cordoned bool   `json:"cordoned"`
	Ready    bool   `json:"ready"`
	Job      string `json:"job,omitempty"`
}

// StatusFailure is a failed upgrade Job.
type StatusFailure struct {
	Plan    string `json:"plan"`
	Job     string `json:"job"`
	Node    string `json:"node"`
	Message string `json:"message"`
	// Blocker names what stopped a failed drain (a pod and its PodDisruptionBudget,
	// or a pod with no controller), when the Job's message or events tell it.
	Blocker string `json:"blocker,omitempty"`
}

// StatusSnapshot is the etcd snapshot taken before the upgrade.
type StatusSnapshot struct {
	Name string `json:"name"`
	Node string `json:"node"`
}

// NewStatusReport returns an empty StatusReport with its type set.
func NewStatusReport() *StatusReport {
	return &StatusReport{TypeMeta: typeMeta("StatusReport"), Plans: []StatusPlan{}, Nodes: []StatusNode{}, Failures: []StatusFailure{}}
}

// DeepCopyObject implements runtime.Object.
func (r *StatusReport) DeepCopyObject() Object { return deepCopyJSON(r) }

// StatusRun is a run of kubectl skew upgrade that no controller holds (--driver
// command or manual), as its record in the cluster has it.
type StatusRun struct {
	Driver string   `json:"driver"`
	Holder string   `json:"holder"`
	State  string   `json:"state"`
	Target string   `json:"target"`
	Hops   []string `json:"hops"`
	Hop    string   `json:"hop,omitempty"`
	Node   string   `json:"node,omitempty"`
	// NodeState is what the run does to Node: cordoned, draining, running command,
	// waiting, waiting for the operator.
	NodeState      string          `json:"nodeState,omitempty"`
	Updated        string          `json:"updated"`
	AbortRequested string          `json:"abortRequested,omitempty"`
	Message        string          `json:"message,omitempty"`
	Nodes          []StatusRunNode `json:"nodes"`
}

// StatusRunNode is what the run did to one node.
type StatusRunNode struct {
	Name  string `json:"name"`
	Role  string `json:"role"`
	From  string `json:"from"`
	To    string `json:"to"`
	State string `json:"state"`
	Log   string `json:"log,omitempty"`
}
