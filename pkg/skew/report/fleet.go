package report

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// CheckReportList is printed by "kubectl skew check --all-contexts": one CheckReport per
// kubeconfig context, worst first.
type CheckReportList struct {
	metav1.TypeMeta `json:",inline"`
	Summary         FleetSummary  `json:"summary"`
	Items           []CheckReport `json:"items"`
}

// FleetSummary counts the clusters of a fleet check.
type FleetSummary struct {
	Contexts int `json:"contexts"`
	// Unreadable clusters could not be checked (unreachable, forbidden, broken kubeconfig).
	Unreadable int `json:"unreadable"`
	// Failing clusters have findings at or above --fail-on.
	Failing int    `json:"failing"`
	Clean   int    `json:"clean"`
	Channel string `json:"channel,omitempty"`
	FailOn  string `json:"failOn"`
}

// NextStep is the next safe upgrade target of one cluster on a channel.
type NextStep struct {
	Channel string `json:"channel"`
	// Target is the release the channel resolves to; empty when Error is set.
	Target string `json:"target,omitempty"`
	// Hops are the exact versions of each hop, in order.
	Hops []string `json:"hops,omitempty"`
	// UpToDate is true when the cluster already runs Target everywhere.
	UpToDate bool `json:"upToDate,omitempty"`
	// Blocked is true when a skew finding blocks the path (kubectl skew plan says which).
	Blocked bool   `json:"blocked,omitempty"`
	Error   string `json:"error,omitempty"`
}

// NewCheckReportList returns an empty list with its type set.
func NewCheckReportList() *CheckReportList {
	return &CheckReportList{TypeMeta: typeMeta("CheckReportList"), Items: []CheckReport{}}
}

// DeepCopyObject implements runtime.Object.
func (l *CheckReportList) DeepCopyObject() Object { return deepCopyJSON(l) }
