// Package rollback is "kubectl skew rollback": the rollback runbook, and --verify.
package rollback

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// RollbackOptions holds "kubectl skew rollback".
type RollbackOptions struct {
	env      *cmdutil.Env
	rancher  cmdutil.RancherFlags
	suc      sucRollback
	Snapshot string
	Yes      bool
	DryRun   bool
	Timeout  time.Duration
}

// NewCmdRollback builds "kubectl skew rollback".
func NewCmdRollback(env *cmdutil.Env) *cobra.Command {
	o := &RollbackOptions{env: env, suc: sucRollback{out: cmdutil.NewOutputFlags(false), Namespace: suc.DefaultNamespace}}
	cmd := &cobra.Command{
		Use:   "rollback",
		Short: "Roll back a failed hop: the runbook for a K3s/RKE2 cluster the system-upgrade-controller upgraded, or a restore through Rancher",
		Long: `For a K3s or RKE2 cluster that "kubectl skew upgrade" upgraded through the
system-upgrade-controller, rollback writes the runbook that takes it back to the
version the current hop started from. K3s and RKE2 refuse downgrades and the
apiserver is down while etcd is restored, so the plugin changes nothing: it finds the
snapshot to restore (the one --snapshot recorded on our Plans, else the newest ready
ETCDSnapshotFile taken before the hop's first Plan), shows its node, location, size
and age, and prints every step for this cluster in order, each with the check to run
before the next: stop the upgrade, stop every server, restore on the server holding
the snapshot with the previous version's install command, the other servers, the
upgraded agents. -o json|yaml gives the steps as data; --output-dir writes one script
per node. It refuses when no snapshot fits, or when the newest one was taken on
another minor; SQLite and external datastores get their own procedure.

Restoring the snapshot also removes our Plans: --verify --expect-version VERSION
checks the result from the nodes (every node on VERSION and Ready, the control plane
on it, no Plan of ours left) and says per node what is still wrong.

With --rancher-cluster, rollback restores, through Rancher, the etcd snapshot
"kubectl skew upgrade --rancher-cluster" took before its last hop (or the one named
with --snapshot) together with the Kubernetes version it was taken on: it sets the
Cluster's spec.rkeConfig.etcdSnapshotRestore with restoreRKEConfig kubernetesVersion,
and follows the restore until every machine runs that version again. A restore
ignores the cluster's concurrency and drain settings: every node restarts. Rancher
never marks a restore failed; one that makes no progress for --timeout is reported
as stalled. A snapshot of another cluster is refused.

Exit codes: 0 runbook printed, restored, or rollback verified complete; 1 error;
3 verify: the rollback has not started; 4 verify: the rollback is half done.`,
		Example: `  # The runbook that takes a K3s/RKE2 cluster back from a failed hop
  kubectl skew rollback

  # The same as one script per node
  kubectl skew rollback --output-dir ./rollback

  # Once every node is back: is the rollback complete?
  kubectl skew rollback --verify --expect-version v1.30.14+k3s1

  # Restore the snapshot taken before the last hop (Rancher)
  kubectl skew rollback --rancher-cluster fleet-default/prod-east

  # A given snapshot, without asking
  kubectl skew rollback --rancher-cluster fleet-default/prod-east --snapshot prod-east-etcd-snapshot-m1-1733130000 --yes`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	f := cmd.Flags()
	o.rancher.AddFlags(cmd)
	o.suc.AddFlags(cmd)
	f.StringVar(&o.Snapshot, "snapshot", "", "With --rancher-cluster: the ETCDSnapshot to restore (default: the one kubectl skew upgrade took before the last hop)")
	f.BoolVarP(&o.Yes, "yes", "y", false, "Restore without asking for confirmation (required when stdin is not a terminal)")
	f.BoolVar(&o.DryRun, "dry-run", false, "Say what would be restored, and change nothing (always so without --rancher-cluster)")
	f.DurationVar(&o.Timeout, "timeout", 30*time.Minute, "Stop when the restore makes no progress for this long")
	return cmd
}

// Complete parses --rancher-cluster.
func (o *RollbackOptions) Complete() error { return o.rancher.Complete() }

// Validate checks the flags before anything touches the cluster.
func (o *RollbackOptions) Validate() error {
	if !o.rancher.Enabled() {
		if o.Snapshot != "" {
			return errors.New("--snapshot goes with --rancher-cluster: without it, the snapshot is the one the upgrade recorded, else the newest taken before the hop")
		}
		return o.suc.Validate()
	}
	if o.suc.set() {
		return errors.New("--rancher-cluster restores through Rancher: --verify, --expect-version, --output-dir and -o go with system-upgrade-controller upgrades")
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive", o.Timeout)
	}
	return nil
}

// Run restores the snapshot.
func (o *RollbackOptions) Run(ctx context.Context) error {
	if !o.rancher.Enabled() {
		return o.suc.Run(ctx, o.env)
	}
	w := o.env.Streams.Out
	if imported, err := o.rancher.Detect(ctx, o.env); err != nil || imported {
		if err != nil {
			return err
		}
		return fmt.Errorf("%s is imported into Rancher, which cannot roll back an imported cluster (it takes no snapshot of it): run kubectl skew rollback against the cluster itself (--context of the downstream cluster) for the runbook that restores the snapshot kubectl skew upgrade --downstream-context took", o.rancher.Ref())
	}
	s, c, err := o.rancher.Read(ctx, o.env)
	if err != nil {
		return err
	}
	snap, err := s.RollbackSnapshot(o.Snapshot)
	if err != nil {
		return err
	}
	if !o.DryRun {
		if err := cmdutil.RequireAccess(ctx, c, "rollback-rancher", access.Options{RancherNamespace: o.rancher.Namespace, AfterRead: true}); err != nil {
			return err
		}
	}
	to := snap.KubernetesVersion
	if to == "" {
		to = "the version recorded in the snapshot"
	}
	fmt.Fprintf(w, "Rancher cluster %s: spec %s, applied %s\n", o.rancher.Ref(), s.Cluster.KubernetesVersion, cmdutil.AppliedOf(s))
	fmt.Fprintf(w, "Restore: %s, taken %s on %s, with its Kubernetes version (%s)\n", snap.Name, snap.CreatedAt.UTC().Format(time.RFC3339), cmdutil.OrDash(snap.Node), to)
	fmt.Fprintln(w, "A restore ignores the concurrency and drain settings: every node restarts, and whatever changed since the snapshot is lost.")
	if o.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return nil
	}
	if !o.Yes {
		if err := o.env.Confirm(ctx, fmt.Sprintf("Restore %s on %s?", snap.Name, o.rancher.Ref()), "pass --yes to restore without asking"); err != nil {
			return err
		}
	}
	run := &rancher.Config{Dynamic: c.Dynamic, Namespace: o.rancher.Namespace, Name: o.rancher.Name, Timeout: o.Timeout,
		Out: func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }}
	if err := run.RestoreSnapshot(ctx, s, snap); err != nil {
		var stall *rancher.StallError
		if errors.As(err, &stall) {
			return fmt.Errorf("%v: Rancher never marks a restore failed, so a stall is all there is to see; check the RKEControlPlane %s and its nodes in Rancher", err, o.rancher.Ref())
		}
		return err
	}
	after, err := rancher.Read(ctx, c.Dynamic, o.rancher.Namespace, o.rancher.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nRollback complete: %s restored; every machine runs %s\n", snap.Name, after.Cluster.KubernetesVersion)
	return nil
}
