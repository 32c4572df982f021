package upgrade

import (
	"context"
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// runRancher upgrades a provisioned cluster through Rancher: the path one minor at a
// time, an etcd snapshot before each hop (unless --snapshot=false), and each hop
// followed until every Machine runs it.
func (o *UpgradeOptions) runRancher(ctx context.Context) error {
	if imported, err := o.rancher.Detect(ctx, o.env); err != nil || imported {
		if err != nil {
			return err
		}
		return o.runImported(ctx)
	}
	w := o.env.Streams.Out
	s, c, err := o.rancher.Read(ctx, o.env)
	if err != nil {
		return err
	}
	write := o.DryRun == dryRunNone
	missing, err := rancher.MissingPermissions(ctx, c.Kube, o.rancher.Namespace, write)
	if err != nil {
		return cmdutil.APIError("check permissions on the management cluster", c.Server, cmdutil.UnwrapAPI(err))
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing permissions on the management cluster for %s: %s; docs/rancher.md lists the Role this mode needs", o.rancher.Ref(), cmdutil.PermissionList(missing))
	}
	inv := s.Inventory()
	path, _, err := o.ResolvePath(ctx, inv, o.hazards.Hazards)
	if err != nil {
		return err
	}
	hops := rancher.Hops(path)
	var blocking []policy.Finding
	for _, h := range path.Hops {
		blocking = append(blocking, h.Blocking...)
	}
	if len(blocking) > 0 {
		return fmt.Errorf("refusing to upgrade %s: %s (kubectl skew plan --rancher-cluster %s shows every finding); nothing was changed", o.rancher.Ref(), blocking[0].Message, o.rancher.Ref())
	}
	if err := s.Refusal(hops); err != nil {
		return fmt.Errorf("refusing to upgrade %s: %v; nothing was changed", o.rancher.Ref(), err)
	}
	snapshot := o.Snapshot || !o.changed("snapshot")
	fmt.Fprintf(w, "Rancher cluster %s (%s, %d machines): spec %s, applied %s, target %s\n", o.rancher.Ref(), inv.Distro.Name(), len(s.Machines), s.Cluster.KubernetesVersion, cmdutil.AppliedOf(s), path.Target)
	if len(hops) == 0 {
		fmt.Fprintf(w, "Nothing to do: every machine runs %s\n", path.Target)
		return nil
	}
	fmt.Fprintf(w, "Path: %s, one hop at a time; Rancher moves etcd, then control-plane, then worker nodes itself\n", cmdutil.VersionList(hops))
	if snapshot {
		fmt.Fprintln(w, "Snapshot: an etcd snapshot before each hop (--snapshot is on by default with --rancher-cluster; --snapshot=false skips it)")
	}
	if !write {
		fmt.Fprintln(w, "Dry run: nothing was changed.")
		return nil
	}
	if !o.Yes {
		if err := o.env.Confirm(ctx, fmt.Sprintf("Set %s to %s through Rancher?", o.rancher.Ref(), hops[0]), "pass --yes to upgrade without asking"); err != nil {
			return err
		}
	}
	run := &rancher.Config{Dynamic: c.Dynamic, Namespace: o.rancher.Namespace, Name: o.rancher.Name, Timeout: o.Timeout,
		Out: func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }}
	for i, v := range hops {
		if s.ProgressTo(v.String()).Done {
			continue
		}
		fmt.Fprintf(w, "\nhop %d of %d -> %s\n", i+1, len(hops), v)
		if snapshot && s.Cluster.KubernetesVersion != v.String() {
			made, err := run.TakeSnapshot(ctx, s)
			if err != nil {
				return fmt.Errorf("%v; the version was not changed", err)
			}
			fmt.Fprintf(w, "snapshot: %s\n", cmdutil.SnapshotNames(made))
			if err := rancher.RecordSnapshot(ctx, c.Dynamic, &s.Cluster, made[0].Name, s.Cluster.KubernetesVersion); err != nil {
				return err
			}
		}
		if !o.Wait {
			if s.Cluster.KubernetesVersion != v.String() {
				if err := rancher.SetVersion(ctx, c.Dynamic, &s.Cluster, v.String(), path.Target.String()); err != nil {
					return err
				}
			}
			fmt.Fprintf(w, "set spec.kubernetesVersion to %s: Rancher now upgrades the nodes. Follow with kubectl skew status --rancher-cluster %s; run this command again for the next hop, or with --wait to follow every hop.\n", v, o.rancher.Ref())
			return nil
		}
		if err := run.MoveTo(ctx, s, v.String(), path.Target.String()); err != nil {
			return fmt.Errorf("%v; stopped at hop %d of %d, nothing further was changed (kubectl skew rollback --rancher-cluster %s restores the snapshot taken before the hop)", err, i+1, len(hops), o.rancher.Ref())
		}
		fmt.Fprintf(w, "hop %d of %d done: every machine runs %s\n", i+1, len(hops), v)
		if s, err = run.Refresh(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nUpgrade complete: every machine of %s runs %s\n", o.rancher.Ref(), path.Target)
	return nil
}
