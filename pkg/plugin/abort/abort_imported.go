package abort

import (
	"context"
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// runImported asks a run on an imported cluster to stop before its next hop: an
// annotation of ours on the management Cluster, which the run reads before it sets
// each hop. The hop under way goes on: Rancher cannot roll back a hop that started.
func (o *AbortOptions) runImported(ctx context.Context) error {
	imported, err := o.rancher.Detect(ctx, o.env)
	if err != nil {
		return err
	}
	if !imported {
		return fmt.Errorf("abort --rancher-cluster works on clusters imported into Rancher; %q is not one (a provisioned cluster's run stops with Ctrl-C before its next hop, and kubectl skew rollback --rancher-cluster restores its snapshot)", o.rancher.Cluster)
	}
	w, ref := o.env.Streams.Out, o.rancher.Ref()
	s, c, err := o.rancher.ReadImported(ctx, o.env)
	if err != nil {
		return err
	}
	hop := "no hop is under way"
	if st := s.Status(); st.Hop != "" {
		hop = fmt.Sprintf("the hop to %s is under way and goes on to its end: Rancher cannot roll back a hop that has started (%s)", st.Hop, s.Stalled(st.Hop))
	}
	fmt.Fprintf(w, "Rancher cluster %s (imported): spec %s, Rancher reports %s; %s\n", ref, s.Cluster.Version, cmdutil.OrDash(s.Cluster.StatusVersion), hop)
	if o.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return nil
	}
	if !o.Yes {
		if err := o.env.Confirm(ctx, fmt.Sprintf("Stop the upgrade of %s before its next hop?", ref), "pass --yes to abort, or --dry-run to see what abort would do"); err != nil {
			return err
		}
	}
	if err := cmdutil.RequireAccess(ctx, c, "abort-rancher-imported", access.Options{ImportedCluster: s.Cluster.Name, AfterRead: true}); err != nil {
		return err
	}
	if err := rancher.SetAbort(ctx, c.Dynamic, &s.Cluster, true); err != nil {
		return err
	}
	fmt.Fprintf(w, "Aborted: a kubectl skew upgrade of %s stops before it sets the next hop (annotation %s); running kubectl skew upgrade again clears it and goes on.\n", ref, rancher.AnnotationAbort)
	return nil
}
