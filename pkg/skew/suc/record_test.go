package suc

import (
	"slices"
	"testing"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestRecordRoundTrip: what a Plan records is what RecordOf reads back.
func TestRecordRoundTrip(t *testing.T) {
	for _, rec := range []Record{
		{Target: version.MustParse("v1.33.12+k3s1")},
		{Target: version.MustParse("v1.33.12+rke2r1"), Path: []string{"v1.32.12+rke2r1", "v1.33.12+rke2r1"},
			Snapshot: "pre", SnapshotNode: "s-1", Cordoned: []string{"a-1"}, AcceptedHazards: []string{"SKEW901", "SKEW902"}},
	} {
		p := &upgradev1.Plan{ObjectMeta: metav1.ObjectMeta{Annotations: recordAnnotations(rec, version.Version{})}}
		got := RecordOf(p)
		if got.Target.String() != rec.Target.String() || !slices.Equal(got.Path, rec.Path) || got.Snapshot != rec.Snapshot ||
			got.SnapshotNode != rec.SnapshotNode || !slices.Equal(got.Cordoned, rec.Cordoned) || !slices.Equal(got.AcceptedHazards, rec.AcceptedHazards) {
			t.Errorf("recorded %+v, read back %+v", rec, got)
		}
	}
}
