package abort

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
)

// abortRun asks a run of --driver command or manual, from any workstation, to stop
// before its next node; it reports whether there was one. The node at work finishes
// or fails; nothing starts after it.
func (o *AbortOptions) abortRun(ctx context.Context, c *cmdutil.Clients) (bool, error) {
	rec, err := runrecord.Read(ctx, c.Kube, runrecord.DefaultNamespace)
	if apierrors.IsForbidden(err) {
		return false, nil // no right to see a run record: there is none of ours to stop
	}
	if err != nil {
		return false, cmdutil.APIError("read the run record", c.Server, cmdutil.UnwrapAPI(err))
	}
	if rec == nil || rec.State != runrecord.StateRunning {
		return false, nil
	}
	w := o.env.Streams.Out
	fmt.Fprintf(w, "A kubectl skew upgrade --driver %s run to %s (%s) is at %s: %s.\n", rec.Driver, rec.Target, rec.Holder, cmdutil.OrDash(rec.Node), cmdutil.OrDash(rec.NodeState))
	if o.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return true, nil
	}
	if !o.Yes {
		if err := o.env.Confirm(ctx, "Stop it before its next node?", "pass --yes to abort, or --dry-run to see what abort would do"); err != nil {
			return true, err
		}
	}
	if _, err := runrecord.RequestAbort(ctx, c.Kube, runrecord.DefaultNamespace, time.Now()); err != nil {
		return true, fmt.Errorf("abort: %w", err)
	}
	fmt.Fprintf(w, "Aborted: the run stops before its next node; the node at work (%s) finishes or fails first. kubectl skew status shows when it stopped; running the same upgrade again resumes.\n", cmdutil.OrDash(rec.Node))
	return true, nil
}
