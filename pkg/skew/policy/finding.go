// Package policy holds the Kubernetes version skew rules as pure functions from an
// Inventory to Findings. Each rule has a stable ID; IDs are never reused or renumbered.
package policy

import "sort"

// Severity ranks a finding.
type Severity string

const (
	// Error is a broken skew rule: an unsupported mix that can fail today.
	Error Severity = "error"
	// Warning is a risk: an upgrade in progress, something that blocks the next step, an unknown.
	Warning Severity = "warning"
	// Info is worth knowing and needs no action.
	Info Severity = "info"
)

// Rank orders severities: error 2, warning 1, info 0, unknown -1.
func (s Severity) Rank() int {
	switch s {
	case Error:
		return 2
	case Warning:
		return 1
	case Info:
		return 0
	}
	return -1
}

// ParseSeverity reads a --fail-on value.
func ParseSeverity(s string) (Severity, bool) {
	switch Severity(s) {
	case Error, Warning, Info:
		return Severity(s), true
	}
	return "", false
}

// Finding is one broken rule or risk, with the fix.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Subject is what the finding is about: "node/agent-3", "kube-apiserver/server-1", "cluster", "kubectl".
	Subject string `json:"subject"`
	// Rule is the policy in one sentence.
	Rule string `json:"rule"`
	// Message says what is wrong with this subject, with the versions involved.
	Message string `json:"message"`
	// Fix is the concrete next step.
	Fix string `json:"fix"`
}

// Sort orders findings worst first, then by ID and subject, so output is stable.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Subject < b.Subject
	})
}

// Count returns how many findings are at or above min.
func Count(fs []Finding, min Severity) int {
	n := 0
	for _, f := range fs {
		if f.Severity.Rank() >= min.Rank() {
			n++
		}
	}
	return n
}

// AtLeast keeps the findings of severity min or worse.
func AtLeast(fs []Finding, min Severity) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity.Rank() >= min.Rank() {
			out = append(out, f)
		}
	}
	return out
}
