package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// readImported reads the imported cluster detect found, with its management Nodes.
func (r *rancherFlags) readImported(ctx context.Context, env *Env) (*rancher.ImportedState, *Clients, error) {
	c, err := env.Clients()
	if err != nil {
		return nil, nil, err
	}
	s, err := rancher.ReadImported(ctx, c.Dynamic, r.imported)
	if err != nil {
		var nf *rancher.NotFoundError
		if errors.As(err, &nf) {
			return nil, nil, fmt.Errorf("%v; kubectl get clusters.management.cattle.io lists them", err)
		}
		return nil, nil, apiError("read the Rancher cluster "+r.imported, c.Server, unwrapAPI(err))
	}
	if len(s.Nodes) == 0 {
		return nil, nil, fmt.Errorf("imported cluster %s has no management.cattle.io Nodes in namespace %s: Rancher has not seen its nodes yet (is its cattle-cluster-agent connected?)", r.imported, r.imported)
	}
	return s, c, nil
}

// runImported checks an imported cluster from Rancher's management Nodes, and the
// target against the versions this Rancher supports.
func (o *CheckOptions) runImported(ctx context.Context) error {
	s, _, err := o.rancher.readImported(ctx, o.env)
	if err != nil {
		return err
	}
	return o.printRancherCheck(s.Inventory(), s.Settings, "rancher-imported:"+s.Cluster.Name)
}

// planImported plans an imported cluster from its management Nodes; a hop this
// Rancher does not support is blocked.
func (o *PlanOptions) planImported(ctx context.Context) (*report.PlanReport, error) {
	s, _, err := o.rancher.readImported(ctx, o.env)
	if err != nil {
		return nil, err
	}
	path, _, err := o.resolvePath(ctx, s.Inventory())
	if err != nil {
		return nil, err
	}
	for i := range path.Hops {
		h := &path.Hops[i]
		h.Blocking = append(h.Blocking, s.Settings.Findings(h.To)...)
	}
	r := planReport(path, o.upgradeCommand())
	r.Notes = append(r.Notes, fmt.Sprintf("%s is an imported %s cluster: Rancher upgrades it through its own system-upgrade-controller Plans, servers first, then the other nodes; kubectl skew upgrade --rancher-cluster sets spec.%sConfig.kubernetesVersion once per hop and checks every node between hops (Rancher takes no snapshot of an imported cluster)",
		s.Cluster.Name, s.Distro().Name(), s.Cluster.Driver))
	return r, nil
}

func writeImportedStatus(w io.Writer, r *report.RancherStatus) {
	name := r.Cluster
	if r.DisplayName != "" {
		name += " (" + r.DisplayName + ")"
	}
	fmt.Fprintf(w, "Rancher cluster %s (imported): %s; spec %s, Rancher reports %s", name, r.State, r.KubernetesVersion, orDash(r.AppliedVersion))
	if r.Hop != "" {
		fmt.Fprintf(w, ", hop to %s", r.Hop)
	}
	fmt.Fprintf(w, "\nUpgraded %s", orDash(r.Upgraded))
	if r.Message != "" {
		fmt.Fprintf(w, ": %s", r.Message)
	}
	fmt.Fprintf(w, "; Ready %s\n", orDash(r.Ready))
	fmt.Fprintf(w, "\nNODES (%d)\n", len(r.Machines))
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "NAME\tNODE\tROLES\tKUBELET\tSTATUS")
	for _, m := range r.Machines {
		st := "pending"
		if m.Done {
			st = "done"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", m.Name, orDash(m.Node), m.Roles, orDash(m.KubeletVersion), st)
	}
	tw.Flush()
	fmt.Fprintf(w, "NEXT: %s\n", r.Next)
}

// runImported asks a run on an imported cluster to stop before its next hop: an
// annotation of ours on the management Cluster, which the run reads before it sets
// each hop. The hop under way goes on: Rancher cannot roll back a hop that started.
func (o *AbortOptions) runImported(ctx context.Context) error {
	imported, err := o.rancher.detect(ctx, o.env)
	if err != nil {
		return err
	}
	if !imported {
		return fmt.Errorf("abort --rancher-cluster works on clusters imported into Rancher; %q is not one (a provisioned cluster's run stops with Ctrl-C before its next hop, and kubectl skew rollback --rancher-cluster restores its snapshot)", o.rancher.Cluster)
	}
	w, ref := o.env.Streams.Out, o.rancher.ref()
	s, c, err := o.rancher.readImported(ctx, o.env)
	if err != nil {
		return err
	}
	hop := "no hop is under way"
	if st := s.Status(); st.Hop != "" {
		hop = fmt.Sprintf("the hop to %s is under way and goes on to its end: Rancher cannot roll back a hop that has started (%s)", st.Hop, s.Stalled(st.Hop))
	}
	fmt.Fprintf(w, "Rancher cluster %s (imported): spec %s, Rancher reports %s; %s\n", ref, s.Cluster.Version, orDash(s.Cluster.StatusVersion), hop)
	if o.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return nil
	}
	if !o.Yes {
		if err := o.env.confirm(ctx, fmt.Sprintf("Stop the upgrade of %s before its next hop?", ref), "pass --yes to abort, or --dry-run to see what abort would do"); err != nil {
			return err
		}
	}
	missing, err := rancher.MissingImportedPermissions(ctx, c.Kube, s.Cluster.Name, true)
	if err != nil {
		return apiError("check permissions on the management cluster", c.Server, unwrapAPI(err))
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing permissions on the management cluster for %s: %s; docs/rancher.md lists the ClusterRole and Role this mode needs", ref, permissionList(missing))
	}
	if err := rancher.SetAbort(ctx, c.Dynamic, &s.Cluster, true); err != nil {
		return err
	}
	fmt.Fprintf(w, "Aborted: a kubectl skew upgrade of %s stops before it sets the next hop (annotation %s); running kubectl skew upgrade again clears it and goes on.\n", ref, rancher.AnnotationAbort)
	return nil
}
