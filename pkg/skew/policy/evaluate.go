package policy

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Options tune Evaluate.
type Options struct {
	// Target, when set, also evaluates what stands between the cluster and a control plane at Target.
	Target *version.Target
}

// Evaluate applies every skew rule to inv and returns the findings, sorted worst first.
func Evaluate(inv *cluster.Inventory, opts Options) []Finding {
	return nil // rules land in the next commit
}
