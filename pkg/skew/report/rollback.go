package report

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// RollbackRunbook is printed by "kubectl skew rollback" for a cluster the
// system-upgrade-controller upgraded: how to go back to the previous version by
// hand, node by node. Nothing in it is applied by the plugin.
type RollbackRunbook struct {
	metav1.TypeMeta `json:",inline"`
	Distro          string `json:"distro"`
	// From is the version the cluster goes back to; Failed is the hop's version.
	From   string `json:"from"`
	Failed string `json:"failed,omitempty"`
	// Datastore is etcd, sqlite or external.
	Datastore string            `json:"datastore"`
	Snapshot  *RollbackSnapshot `json:"snapshot,omitempty"`
	// FirstServer is the server the snapshot is restored on.
	FirstServer string         `json:"firstServer,omitempty"`
	Steps       []RollbackStep `json:"steps"`
	// Notes are what the operator must know before starting (masked secrets, ...).
	Notes []string `json:"notes,omitempty"`
	// Verify is the command that confirms the rollback once every node is back.
	Verify string `json:"verify"`
}

// RollbackSnapshot is the etcd snapshot the runbook restores.
type RollbackSnapshot struct {
	// Object is the ETCDSnapshotFile's name; Name its spec.snapshotName.
	Object   string `json:"object,omitempty"`
	Name     string `json:"name"`
	Node     string `json:"node"`
	Location string `json:"location"`
	Size     string `json:"size,omitempty"`
	Created  string `json:"created"`
	Age      string `json:"age"`
	// Bucket is set for a snapshot in S3.
	Bucket string `json:"bucket,omitempty"`
	// Recorded says the upgrade's --snapshot took it (else it was the newest before the hop).
	Recorded bool `json:"recorded"`
}

// RollbackStep is one step of the runbook, on one node or on the cluster.
type RollbackStep struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	// Node is where the commands run; "" means wherever kubectl reaches the cluster.
	Node     string   `json:"node,omitempty"`
	Role     string   `json:"role,omitempty"`
	Commands []string `json:"commands"`
	// Check is what to run before the next step, and what it must show.
	Check string `json:"check"`
	// HostVersions are the versions the node's binary may report when the step
	// starts (its version before the rollback, or the one it goes back to).
	HostVersions []string `json:"hostVersions,omitempty"`
}

// RollbackVerify is printed by "kubectl skew rollback --verify".
type RollbackVerify struct {
	metav1.TypeMeta `json:",inline"`
	Expect          string `json:"expect"`
	// State is complete, partial (some nodes are back, not all) or not-started.
	State string               `json:"state"`
	Nodes []RollbackVerifyNode `json:"nodes"`
	// Plans are Plans of ours still in the cluster.
	Plans []string `json:"plans"`
}

// Rollback verification states.
const (
	RollbackComplete   = "complete"
	RollbackPartial    = "partial"
	RollbackNotStarted = "not-started"
)

// RollbackVerifyNode is one node's verdict.
type RollbackVerifyNode struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Version string `json:"version"`
	Ready   bool   `json:"ready"`
	// Problems say what is still wrong; empty when the node is back.
	Problems []string `json:"problems"`
}

// NewRollbackRunbook returns an empty runbook.
func NewRollbackRunbook() *RollbackRunbook {
	return &RollbackRunbook{TypeMeta: typeMeta("RollbackRunbook"), Steps: []RollbackStep{}}
}

// NewRollbackVerify returns an empty verdict.
func NewRollbackVerify() *RollbackVerify {
	return &RollbackVerify{TypeMeta: typeMeta("RollbackVerify"), Nodes: []RollbackVerifyNode{}, Plans: []string{}}
}

// DeepCopyObject implements runtime.Object.
func (r *RollbackRunbook) DeepCopyObject() Object { return deepCopyJSON(r) }

// DeepCopyObject implements runtime.Object.
func (r *RollbackVerify) DeepCopyObject() Object { return deepCopyJSON(r) }
