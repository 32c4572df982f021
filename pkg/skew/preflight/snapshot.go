package preflight

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
)

func checkSnapshot(v verdicts, f *Facts, o Options) {
	if !hasEtcd(f) {
		v.add(CheckSnapshot, Skipped, "no node has the etcd role: the datastore is SQLite or external, back it up by its own means", "")
		return
	}
	taking := ""
	if o.TakeSnapshot {
		taking = fmt.Sprintf("--snapshot takes %q on %s before the first server upgrade", o.SnapshotName, o.SnapshotNode)
	}
	if !f.SnapshotsServed {
		if taking != "" {
			v.add(CheckSnapshot, Pass, taking+" (this cluster records no ETCDSnapshotFile, so its file is not listed)", "")
			return
		}
		v.add(CheckSnapshot, Warn, "the cluster does not serve k3s.cattle.io/v1 ETCDSnapshotFile, so no snapshot can be seen",
			"take one with --snapshot, or on a server: k3s etcd-snapshot save (rke2 etcd-snapshot save)")
		return
	}
	if f.SnapshotsErr != nil {
		if taking != "" {
			v.add(CheckSnapshot, Pass, taking, "")
			return
		}
		v.add(CheckSnapshot, Skipped, "cannot list etcdsnapshotfiles: "+reason(f.SnapshotsErr), "ask for list on etcdsnapshotfiles.k3s.cattle.io, or take one with --snapshot")
		return
	}
	maxAge := o.SnapshotMaxAge
	if maxAge <= 0 {
		maxAge = etcdsnapshot.DefaultMaxAge
	}
	fresh := etcdsnapshot.Newest(f.Snapshots, o.Now, maxAge)
	newest := "no ready snapshot"
	if fresh.Newest != nil {
		newest = fmt.Sprintf("newest ready snapshot %s on %s is %s old", fresh.Newest.Name, fresh.Newest.Node, text.Age(o.Now.Sub(fresh.Newest.Created)))
	}
	switch {
	case taking != "":
		v.add(CheckSnapshot, Pass, taking+"; "+newest, "")
	case fresh.Fresh:
		v.add(CheckSnapshot, Pass, newest, "")
	default:
		v.add(CheckSnapshot, Warn, fmt.Sprintf("%s (limit --snapshot-max-age %s): a failed hop could not be rolled back to now", newest, maxAge),
			"add --snapshot to take one on the first server before it upgrades, or on a server: k3s etcd-snapshot save (rke2 etcd-snapshot save)")
	}
}

func hasEtcd(f *Facts) bool {
	for i := range f.Nodes {
		if f.Nodes[i].Labels[cluster.LabelEtcd] == "true" {
			return true
		}
	}
	return false
}

func reason(err error) string {
	switch {
	case err == nil:
		return "no answer"
	case apierrors.IsForbidden(err):
		return "forbidden"
	}
	return err.Error()
}
