package status

import (
	"context"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// runRancher prints where a Rancher-provisioned cluster stands. It exits 3 when Rancher
// reports an error.
func (o *StatusOptions) runRancher(ctx context.Context) error {
	r, err := o.rancherStatus(ctx)
	if err != nil {
		return err
	}
	w := o.env.Streams.Out
	if o.out.Structured() {
		err = o.out.Print(w, r)
	} else {
		err = table.WriteRancherStatus(w, r)
	}
	if err != nil {
		return err
	}
	if r.State == "error" {
		return &cmdutil.FindingsError{Count: 1}
	}
	return nil
}

// rancherStatus reads the status of an imported or a provisioned cluster.
func (o *StatusOptions) rancherStatus(ctx context.Context) (*report.RancherStatus, error) {
	m, _, err := o.rancher.ReadManaged(ctx, o.env)
	if err != nil {
		return nil, err
	}
	return m.CurrentStatus(), nil
}
