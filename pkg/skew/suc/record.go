package suc

import (
	"strconv"
	"strings"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Record is what every Plan of one upgrade notes about it.
type Record struct {
	// Target is the final version.
	Target version.Version
	// Path is every hop version, first to last, including hops already done.
	Path []string
	// Snapshot and SnapshotNode name the snapshot taken before the upgrade, if any.
	Snapshot, SnapshotNode string
	// Cordoned are the nodes of the Plan that were cordoned before it ran: the
	// controller uncordons every node it upgrades, and these are cordoned again.
	Cordoned []string
	// AcceptedHazards are the hop hazard IDs acknowledged with --accept-hazard.
	AcceptedHazards []string
}

// HopIndex is the 1-based position of v in the recorded path, 0 when absent.
func (r Record) HopIndex(v version.Version) int {
	for i, p := range r.Path {
		if p == v.String() {
			return i + 1
		}
	}
	return 0
}

func recordAnnotations(rec Record, from version.Version) map[string]string {
	a := map[string]string{AnnotationTarget: rec.Target.String()}
	if len(rec.Path) > 0 {
		a[AnnotationPath] = strings.Join(rec.Path, ",")
	}
	if from != (version.Version{}) {
		a[AnnotationFrom] = from.String()
	}
	if rec.Snapshot != "" {
		a[AnnotationSnapshot] = rec.Snapshot
		a[AnnotationSnapshotNode] = rec.SnapshotNode
	}
	if len(rec.Cordoned) > 0 {
		a[AnnotationCordoned] = strings.Join(rec.Cordoned, ",")
	}
	if len(rec.AcceptedHazards) > 0 {
		a[AnnotationAcceptedHazards] = strings.Join(rec.AcceptedHazards, ",")
	}
	return a
}

// SelectedHostnames reads back the hostnames one of our Plans selects.
func SelectedHostnames(p *upgradev1.Plan) []string {
	if p.Spec.NodeSelector == nil {
		return nil
	}
	for _, r := range p.Spec.NodeSelector.MatchExpressions {
		if r.Key == cluster.LabelHostname && r.Operator == metav1.LabelSelectorOpIn {
			return r.Values
		}
	}
	return nil
}

// IsOurs reports whether a Plan carries our label.
func IsOurs(labels map[string]string) bool { return labels[LabelManagedBy] == ManagedBy }

// PlanVersion is the version one of our Plans pins.
func PlanVersion(p *upgradev1.Plan) (version.Version, error) {
	return version.Parse(p.Spec.Version)
}

// RecordOf reads the record annotations of one of our Plans.
func RecordOf(p *upgradev1.Plan) Record {
	var r Record
	a := p.Annotations
	if t, err := version.Parse(a[AnnotationTarget]); err == nil {
		r.Target = t
	}
	if s := a[AnnotationPath]; s != "" {
		r.Path = strings.Split(s, ",")
	}
	r.Snapshot, r.SnapshotNode = a[AnnotationSnapshot], a[AnnotationSnapshotNode]
	if s := a[AnnotationCordoned]; s != "" {
		r.Cordoned = strings.Split(s, ",")
	}
	if s := a[AnnotationAcceptedHazards]; s != "" {
		r.AcceptedHazards = strings.Split(s, ",")
	}
	return r
}

// HopLabel is "hop 2 of 3", or "" when the record does not know the hop.
func HopLabel(rec Record, v version.Version) string {
	i := rec.HopIndex(v)
	if i == 0 {
		return ""
	}
	return "hop " + strconv.Itoa(i) + " of " + strconv.Itoa(len(rec.Path))
}

// PlanComplete reports the controller's Complete condition on a Plan.
func PlanComplete(p *upgradev1.Plan) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == "Complete" {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
