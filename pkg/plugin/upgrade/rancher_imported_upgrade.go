package upgrade

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// importedFlags are upgrade's flags for clusters imported into Rancher.
type importedFlags struct {
	DownstreamContext         string
	DrainServers, DrainAgents bool
}

func (f *importedFlags) AddFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.DownstreamContext, "downstream-context", "", "With --rancher-cluster naming an imported cluster: the kubeconfig context of that cluster itself, to take an etcd snapshot there (as --snapshot does) before the first hop; Rancher takes none")
	fs.BoolVar(&f.DrainServers, "rancher-drain-servers", false, "With --rancher-cluster naming an imported cluster: set Rancher's drainServerNodes (only when given)")
	fs.BoolVar(&f.DrainAgents, "rancher-drain-agents", false, "With --rancher-cluster naming an imported cluster: set Rancher's drainWorkerNodes (only when given)")
}

// Validate: these flags mean nothing without --rancher-cluster.
func (f *importedFlags) Validate(changed func(string) bool, rancherMode bool) error {
	for _, name := range []string{"downstream-context", "rancher-drain-servers", "rancher-drain-agents"} {
		if changed(name) && !rancherMode {
			return fmt.Errorf("--%s works with --rancher-cluster naming a cluster imported into Rancher", name)
		}
	}
	return nil
}

// runImported upgrades a cluster imported into Rancher: one hop at a time through
// Rancher's own version field, each hop followed until Rancher and every node agree,
// and our own gate before the next. A refusal writes nothing.
func (o *UpgradeOptions) runImported(ctx context.Context) error {
	w, ref := o.env.Streams.Out, o.rancher.Ref()
	s, c, err := o.rancher.ReadImported(ctx, o.env)
	if err != nil {
		return err
	}
	write := o.DryRun == dryRunNone
	missing, err := rancher.MissingImportedPermissions(ctx, c.Kube, s.Cluster.Name, write)
	if err != nil {
		return cmdutil.APIError("check permissions on the management cluster", c.Server, cmdutil.UnwrapAPI(err))
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing permissions on the management cluster for %s: %s; docs/rancher.md lists the ClusterRole and Role this mode needs", ref, cmdutil.PermissionList(missing))
	}
	path, _, err := o.ResolvePath(ctx, s.Inventory(), o.hazards.Hazards)
	if err != nil {
		return fmt.Errorf("refusing to upgrade %s: %w; nothing was changed", ref, err)
	}
	hops := rancher.Hops(path)
	for _, h := range path.Hops {
		if len(h.Blocking) > 0 {
			return fmt.Errorf("refusing to upgrade %s: %s (kubectl skew plan --rancher-cluster %s shows every finding); nothing was changed", ref, h.Blocking[0].Message, ref)
		}
	}
	strategy, changes := o.importedStrategy(s.Cluster.Strategy)
	if refusals := s.Refusals(hops, strategy); len(refusals) > 0 {
		return fmt.Errorf("refusing to upgrade %s; nothing was changed:\n  %s", ref, strings.Join(refusals, "\n  "))
	}
	fmt.Fprintf(w, "Rancher cluster %s (imported %s, %d nodes): spec %s, Rancher reports %s, target %s\n", ref, s.Distro().Name(), len(s.Nodes), s.Cluster.Version, s.Cluster.StatusVersion, path.Target)
	if len(hops) == 0 {
		fmt.Fprintf(w, "Nothing to do: every node runs %s\n", path.Target)
		return nil
	}
	fmt.Fprintf(w, "Path: %s, one hop at a time: each sets spec.%sConfig.kubernetesVersion once; Rancher moves the servers, then the other nodes\n", cmdutil.VersionList(hops), s.Cluster.Driver)
	for _, ch := range changes {
		fmt.Fprintf(w, "Strategy: %s (asked for)\n", ch)
	}
	if o.imported.DownstreamContext == "" {
		fmt.Fprintf(o.env.Streams.ErrOut, "warning: no etcd snapshot: Rancher takes none of an imported cluster; pass --downstream-context with the cluster's own kubeconfig context to take one first, or run `%s etcd-snapshot save` on a server\n", s.Distro())
	}
	if !write {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return nil
	}
	if !o.Yes {
		if err := o.env.Confirm(ctx, fmt.Sprintf("Set %s to %s through Rancher?", ref, hops[0]), "pass --yes to upgrade without asking"); err != nil {
			return err
		}
	}
	if s.Cluster.Annotations[rancher.AnnotationAbort] != "" {
		if err := rancher.SetAbort(ctx, c.Dynamic, &s.Cluster, false); err != nil {
			return err
		}
		fmt.Fprintln(w, "Abort: an earlier abort request was cleared; this run goes on")
	}
	if o.imported.DownstreamContext != "" && s.Cluster.Version == s.Cluster.StatusVersion {
		if err := o.importedSnapshot(ctx); err != nil {
			return fmt.Errorf("%v; the version was not changed", err)
		}
	}
	if len(changes) > 0 {
		if err := rancher.SetImportedStrategy(ctx, c.Dynamic, &s.Cluster, strategy); err != nil {
			return err
		}
		fmt.Fprintf(w, "set %supgradeStrategy: %s\n", s.Cluster.Driver, strings.Join(changes, "; "))
	}
	run := &rancher.ImportedRun{Dynamic: c.Dynamic, Name: s.Cluster.Name, Timeout: o.Timeout,
		Out: func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }}
	for i := range hops {
		if err := o.importedHop(ctx, run, &s, i, hops); err != nil {
			var done *hopPending
			if errors.As(err, &done) {
				return nil
			}
			return err
		}
	}
	fmt.Fprintf(w, "\nUpgrade complete: Rancher reports %s and every node of %s runs it\n", path.Target, ref)
	return nil
}

// hopPending: without --wait, the run set a hop (or found one under way) and returns.
type hopPending struct{}

func (*hopPending) Error() string { return "hop pending" }

// importedHop sets hop i (unless it is set already), and with --wait follows it and
// gates it. s becomes the state after the hop.
func (o *UpgradeOptions) importedHop(ctx context.Context, run *rancher.ImportedRun, s **rancher.ImportedState, i int, hops []version.Version) error {
	w, ref, v := o.env.Streams.Out, o.rancher.Ref(), hops[i].String()
	st := *s
	fmt.Fprintf(w, "\nhop %d of %d -> %s\n", i+1, len(hops), v)
	patched := false
	if st.Cluster.Version != v {
		fresh, err := rancher.RefreshImported(ctx, run.Dynamic, st.Cluster.Name)
		if err != nil {
			return err
		}
		if at := fresh.Cluster.Annotations[rancher.AnnotationAbort]; at != "" {
			return fmt.Errorf("aborted before hop %d of %d (kubectl skew abort at %s): %s stays on %s; run kubectl skew upgrade again to go on", i+1, len(hops), at, ref, st.Cluster.StatusVersion)
		}
		from := st.Cluster.Version
		if err := rancher.SetImportedVersion(ctx, run.Dynamic, &st.Cluster, v); err != nil {
			return err
		}
		patched = true
		fmt.Fprintf(w, "set spec.%sConfig.kubernetesVersion %s -> %s\n", st.Cluster.Driver, from, v)
	}
	if !o.Wait {
		fmt.Fprintf(w, "Rancher now upgrades the nodes to %s. Follow with kubectl skew status --rancher-cluster %s; run this command again for the next hop, or with --wait to follow every hop.\n", v, ref)
		return &hopPending{}
	}
	after, err := run.Follow(ctx, v, patched, st.Nodes)
	if err != nil {
		return fmt.Errorf("%v; stopped at hop %d of %d, nothing further was changed (Rancher cannot roll back a hop that has started: fix the node, and the hop goes on; then run this command again)", err, i+1, len(hops))
	}
	if err := after.Gate(v); err != nil {
		return fmt.Errorf("hop %d of %d reached %s, but our gate before the next hop failed: %v; nothing further was changed", i+1, len(hops), v, err)
	}
	moved, total := after.Moved(v)
	fmt.Fprintf(w, "hop %d of %d done: Rancher reports %s, Upgraded True, %d of %d nodes on it, every node Ready\n", i+1, len(hops), v, moved, total)
	*s = after
	return nil
}

// importedStrategy is the cluster's strategy with what the user asked for, and the
// changes in words; without flags nothing changes.
func (o *UpgradeOptions) importedStrategy(cur rancher.Strategy) (rancher.Strategy, []string) {
	next := cur
	if o.changed("server-concurrency") {
		next.ServerConcurrency = o.ServerConcurrency
	}
	if o.changed("agent-concurrency") {
		next.WorkerConcurrency = o.AgentConcurrency
	}
	if o.changed("rancher-drain-servers") {
		next.DrainServerNodes = o.imported.DrainServers
	}
	if o.changed("rancher-drain-agents") {
		next.DrainWorkerNodes = o.imported.DrainAgents
	}
	var changes []string
	if next.ServerConcurrency != cur.ServerConcurrency {
		changes = append(changes, fmt.Sprintf("serverConcurrency %d -> %d", cur.ServerConcurrency, next.ServerConcurrency))
	}
	if next.WorkerConcurrency != cur.WorkerConcurrency {
		changes = append(changes, fmt.Sprintf("workerConcurrency %d -> %d", cur.WorkerConcurrency, next.WorkerConcurrency))
	}
	if next.DrainServerNodes != cur.DrainServerNodes {
		changes = append(changes, fmt.Sprintf("drainServerNodes %t -> %t", cur.DrainServerNodes, next.DrainServerNodes))
	}
	if next.DrainWorkerNodes != cur.DrainWorkerNodes {
		changes = append(changes, fmt.Sprintf("drainWorkerNodes %t -> %t", cur.DrainWorkerNodes, next.DrainWorkerNodes))
	}
	return next, changes
}

// importedSnapshot takes the SUC etcd snapshot on the downstream cluster itself,
// through Rancher's own system-upgrade-controller (in cattle-system unless
// --suc-namespace says otherwise).
func (o *UpgradeOptions) importedSnapshot(ctx context.Context) error {
	flags := cmdutil.FlagsForContext(o.env.Flags, o.imported.DownstreamContext)
	dc, err := cmdutil.NewClients(flags, o.env.Streams)
	if err != nil {
		return fmt.Errorf("--downstream-context %s: %w", o.imported.DownstreamContext, err)
	}
	cfg, err := o.config(dc)
	if err != nil {
		return err
	}
	if !o.changed("suc-namespace") {
		cfg.Plans.Namespace = "cattle-system"
	}
	cfg.Emit = func(e upgrade.Event) { fmt.Fprintln(o.env.Streams.Out, "snapshot: "+e.Message) }
	rec, err := upgrade.Snapshot(ctx, cfg)
	if err != nil {
		return fmt.Errorf("snapshot on context %s: %w", o.imported.DownstreamContext, err)
	}
	fmt.Fprintf(o.env.Streams.Out, "snapshot: %s on %s (context %s)\n", rec.Snapshot, rec.SnapshotNode, o.imported.DownstreamContext)
	return nil
}
