// Package rollback builds the runbook that takes a K3s or RKE2 cluster back from a
// hop the system-upgrade-controller ran, and verifies the result. Neither distro
// supports a downgrade: the way back is an etcd snapshot taken on the previous
// version, restored with that version's binary on one server, then every other
// server and the upgraded agents reinstalled (docs/upgrade.md). Everything here is
// pure: the plugin reads the cluster once and hands the facts in.
package rollback

import (
	"fmt"
	"sort"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Choice is the snapshot to restore and the version to restore it with.
type Choice struct {
	Snapshot etcdsnapshot.Snapshot
	// Version is the version the cluster ran when the snapshot was taken.
	Version version.Version
	// Recorded says the upgrade's --snapshot took it.
	Recorded bool
}

// hop is one version our Plans upgrade to, with the moment its first Plan appeared.
type hop struct {
	version version.Version
	from    string
	created time.Time
}

// hopsOf orders the upgrade Plans' versions, each with its first Plan's creation time.
func hopsOf(plans []upgradev1.Plan) []hop {
	by := map[string]*hop{}
	for i := range plans {
		p := &plans[i]
		if p.Labels[suc.LabelRole] == suc.RoleSnapshot {
			continue
		}
		v, err := suc.PlanVersion(p)
		if err != nil {
			continue
		}
		h := by[v.String()]
		if h == nil {
			h = &hop{version: v, created: p.CreationTimestamp.Time}
			by[v.String()] = h
		}
		if p.CreationTimestamp.Time.Before(h.created) {
			h.created = p.CreationTimestamp.Time
		}
		if f := p.Annotations[suc.AnnotationFrom]; f != "" {
			h.from = f
		}
	}
	out := make([]hop, 0, len(by))
	for _, h := range by {
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version.Compare(out[j].version) < 0 })
	return out
}

// recorded is the snapshot our snapshot Plan took, with the version it ran on.
func recorded(plans []upgradev1.Plan) (name string, v version.Version, ok bool) {
	for i := range plans {
		p := &plans[i]
		if p.Labels[suc.LabelRole] != suc.RoleSnapshot {
			continue
		}
		rec := suc.RecordOf(p)
		pv, err := suc.PlanVersion(p)
		if rec.Snapshot != "" && err == nil {
			return rec.Snapshot, pv, true
		}
	}
	// The snapshot Plan is gone (deleted by hand): the upgrade Plans carry the same
	// record, and the snapshot was taken before the first of them, on its from-version.
	for _, h := range hopsOf(plans) {
		for i := range plans {
			p := &plans[i]
			rec := suc.RecordOf(p)
			pv, err := suc.PlanVersion(p)
			if err != nil || rec.Snapshot == "" || p.Labels[suc.LabelRole] == suc.RoleSnapshot || pv.String() != h.version.String() {
				continue
			}
			if from, err := version.Parse(h.from); err == nil {
				return rec.Snapshot, from, true
			}
		}
	}
	return "", version.Version{}, false
}

// Choose picks the snapshot to restore for the hop to hopVersion: the one the
// upgrade's --snapshot recorded on our Plans, else the newest ready snapshot taken
// before the hop's first Plan. snaps are newest first. Times are compared through
// status.creationTime only: snapshot names are not parsed. It refuses (one line)
// when none fits, or when the newest one predates the previous hop too, since the
// cluster then ran another minor.
func Choose(plans []upgradev1.Plan, hopVersion string, snaps []etcdsnapshot.Snapshot) (Choice, error) {
	if name, v, ok := recorded(plans); ok {
		s := etcdsnapshot.Find(snaps, name)
		if s == nil {
			return Choice{}, fmt.Errorf("the upgrade recorded snapshot %q, but no ready ETCDSnapshotFile of that name exists: list the snapshots on a server (k3s etcd-snapshot ls or rke2 etcd-snapshot ls) and check its status.error", name)
		}
		return Choice{Snapshot: *s, Version: v, Recorded: true}, nil
	}
	hops := hopsOf(plans)
	cur := -1
	for i, h := range hops {
		if h.version.String() == hopVersion {
			cur = i
		}
	}
	if cur < 0 {
		return Choice{}, fmt.Errorf("no Plan of ours upgrades to %q: nothing to roll back", hopVersion)
	}
	h := hops[cur]
	from, err := version.Parse(h.from)
	if err != nil {
		return Choice{}, fmt.Errorf("the Plans of the hop to %s do not record the version it started from (annotation %s): give it with --version", h.version, suc.AnnotationFrom)
	}
	var prev *Hop
	if cur > 0 {
		prev = &Hop{To: hops[cur-1].version.String(), Started: hops[cur-1].created}
	}
	return ChooseBefore(Hop{To: h.version.String(), From: from, Started: h.created}, prev, snaps)
}

// Hop is a hop as a rollback needs it: where it went, where from, when it started.
type Hop struct {
	To      string
	From    version.Version
	Started time.Time
}

// ChooseBefore picks the snapshot a rollback of hop restores: the newest ready one
// taken before the hop started, and after the hop before it (prev, nil for the
// first), so that it holds the cluster on the hop's from-version. Every driver's
// runs are rolled back by it: the SUC Plans' and the record of a command run.
func ChooseBefore(hop Hop, prev *Hop, snaps []etcdsnapshot.Snapshot) (Choice, error) {
	for _, s := range snaps {
		if !s.Created.Before(hop.Started) {
			continue
		}
		if prev != nil && s.Created.Before(prev.Started) {
			return Choice{}, fmt.Errorf("the newest etcd snapshot taken before the hop to %s, %s (%s), predates the hop to %s too, so it holds the cluster on another minor than %s: K3s and RKE2 restore a snapshot only with the version it was taken on; there is no rollback to %s without a snapshot taken on it",
				hop.To, s.Name, s.Created.UTC().Format(time.RFC3339), prev.To, hop.From.MinorString(), hop.From)
		}
		return Choice{Snapshot: s, Version: hop.From}, nil
	}
	return Choice{}, fmt.Errorf("no ready etcd snapshot was taken before the hop to %s started (%s): K3s and RKE2 cannot be downgraded, and without a snapshot taken on %s there is no rollback; finish the hop instead (kubectl skew status says how)",
		hop.To, hop.Started.UTC().Format(time.RFC3339), hop.From)
}
