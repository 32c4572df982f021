package check

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// print warns on stderr of what the read of the cluster skipped (stdout holds the
// report alone), then prints the report.
func (o *CheckOptions) print(r *report.CheckReport) error {
	for _, s := range r.Cluster.Skipped {
		fmt.Fprintf(o.env.Streams.ErrOut, "warning: skipped %s: %s\n", s.What, s.Reason)
	}
	return cmdutil.PrintReport(o.env, o.out, r, table.WriteCheck)
}

func (o *CheckOptions) printFleet(list *report.CheckReportList) error {
	return cmdutil.PrintReport(o.env, o.out, list, table.WriteFleet)
}
