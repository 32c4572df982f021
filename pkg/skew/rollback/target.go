package rollback

import (
	"fmt"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Target is the hop a rollback undoes, whichever driver made it: the version it went
// to (Failed), the one it started from, and how its snapshot is chosen.
type Target struct {
	Distro version.Distro
	Failed string
	From   version.Version
	choose func([]etcdsnapshot.Snapshot) (Choice, error)
}

// OfPlans is the hop our Plans in namespace ns are at (the SUC driver), as status
// summarised them.
func OfPlans(ns string, plans []upgradev1.Plan, s report.StatusSummary) (Target, error) {
	d := version.Distro(s.Distro)
	if !d.IsRancherDistro() {
		return Target{}, fmt.Errorf("the upgrade in namespace %s is not of K3s or RKE2 (%s): the rollback runbook covers those two", ns, text.OrDash(s.Distro))
	}
	from, err := version.Parse(s.From)
	if err != nil {
		return Target{}, fmt.Errorf("the Plans of the hop to %s do not record the version it started from (annotation %s): roll back by hand (docs/upgrade.md)", s.HopVersion, suc.AnnotationFrom)
	}
	return Target{Distro: d, Failed: s.HopVersion, From: from,
		choose: func(snaps []etcdsnapshot.Snapshot) (Choice, error) { return Choose(plans, s.HopVersion, snaps) }}, nil
}

// OfRun is the last hop a run of --driver command or manual moved, from its record;
// ok is false when the record has none.
func OfRun(rec *runrecord.Record) (t Target, ok bool, err error) {
	last, prev := "", ""
	if rec != nil {
		last, prev = rec.LastHops()
	}
	if last == "" {
		return Target{}, false, nil
	}
	fromText, started, _ := rec.HopStart(last)
	from, err := version.Parse(fromText)
	if err != nil {
		return Target{}, true, fmt.Errorf("the run record does not say which version the hop to %s started from (%q): roll back by hand (docs/upgrade.md)", last, fromText)
	}
	var before *Hop
	if prev != "" {
		_, at, _ := rec.HopStart(prev)
		before = &Hop{To: prev, Started: at}
	}
	hop := Hop{To: last, From: from, Started: started}
	return Target{Distro: version.Distro(rec.Distro), Failed: last, From: from,
		choose: func(snaps []etcdsnapshot.Snapshot) (Choice, error) { return ChooseBefore(hop, before, snaps) }}, true, nil
}

// NeedsSnapshots reports whether the rollback restores an etcd snapshot (Input then
// needs the cluster's snapshots).
func (t Target) NeedsSnapshots(nodes []corev1.Node) bool {
	return Datastore(t.Distro, nodes) == DatastoreEtcd
}

// Input is the runbook's input for the cluster's nodes and snapshots.
func (t Target) Input(ns string, nodes []corev1.Node, snaps []etcdsnapshot.Snapshot, now time.Time) (Input, error) {
	in := Input{Distro: t.Distro, Namespace: ns, Failed: t.Failed, From: t.From, Datastore: Datastore(t.Distro, nodes), Nodes: nodes, Now: now}
	if in.Datastore != DatastoreEtcd {
		return in, nil
	}
	choice, err := t.choose(snaps)
	if err != nil {
		return in, err
	}
	in.Choice, in.From = &choice, choice.Version
	return in, nil
}
