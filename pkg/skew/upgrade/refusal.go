package upgrade

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// IDs of the rules that refuse a run; a skew finding refuses under its own ID.
const (
	// RefusedPreflight: one of the preflight checks failed (Failed names them).
	RefusedPreflight = "preflight"
	// RefusedPermissions: the identity may not do what the driver needs.
	RefusedPermissions = "permissions"
	// RefusedState: the cluster is not in a state the driver can start from.
	RefusedState = "state"
)

// Refusal stops a run before anything is written, for every driver: the rule that
// refused (ID), why in one line, the fix, and the exit code.
type Refusal struct {
	ID string
	// Reason is the one line that says why; Details, when there are several
	// reasons, one line each.
	Reason  string
	Details []string
	Fix     string
	// Failed are the preflight checks that failed (ID RefusedPreflight).
	Failed []preflight.Check
	// BySkew is true when skew findings are the only reason: exit code 3.
	BySkew bool
}

func (r *Refusal) Error() string {
	if r.ID == RefusedPreflight {
		names := make([]string, len(r.Failed))
		for i, c := range r.Failed {
			names[i] = c.Name
		}
		return fmt.Sprintf("preflight failed (%s): nothing was changed", strings.Join(names, ", "))
	}
	msg := r.Reason
	if len(r.Details) > 0 {
		msg += ":\n  " + strings.Join(r.Details, "\n  ")
	}
	if r.Fix != "" {
		msg += " (" + r.Fix + ")"
	}
	return msg
}

// Exit is the exit code a command ends with: 3 for a refusal by skew findings
// alone, else 1.
func (r *Refusal) Exit() int {
	if r.BySkew {
		return 3
	}
	return 1
}

// BlockingRefusal refuses a path whose hops break a skew rule that blocks, naming
// the first such finding; nil when none does. Drivers without a preflight table use
// it; the SUC driver's preflight judges the same findings as its skew check.
func BlockingRefusal(path *upgradepath.Path, fix string) *Refusal {
	blocked := path.Blocking()
	if len(blocked) == 0 {
		return nil
	}
	f := blocked[0].Findings[0]
	// Exit 1, as these refusals always had; the SUC driver's exit 3 comes with its
	// preflight table, which says the rest.
	return &Refusal{ID: f.ID, Reason: f.Message, Fix: fix}
}
