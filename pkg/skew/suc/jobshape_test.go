package suc

import (
	"slices"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestKeepJobShape(t *testing.T) {
	created := func() *upgradev1.Plan {
		return &upgradev1.Plan{
			ObjectMeta: metav1.ObjectMeta{
				Labels:      map[string]string{LabelManagedBy: ManagedBy, LabelRole: RoleAgent},
				Annotations: map[string]string{AnnotationTarget: "v1.32.9+k3s1", AnnotationAcceptedHazards: "SKEW907"},
			},
			Spec: upgradev1.PlanSpec{
				Concurrency:        1,
				ServiceAccountName: "system-upgrade",
				Upgrade:            &upgradev1.ContainerSpec{Image: "rancher/k3s-upgrade"},
				Drain:              &upgradev1.DrainSpec{Force: true},
				NodeSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"a": "1"}},
			},
		}
	}
	cases := []struct {
		name  string
		edit  func(want, got *upgradev1.Plan)
		kept  []string
		check func(t *testing.T, want *upgradev1.Plan)
	}{
		{"the same Plan", func(_, _ *upgradev1.Plan) {}, nil, nil},
		{"another acknowledgement", func(want, _ *upgradev1.Plan) { want.Annotations[AnnotationAcceptedHazards] = "SKEW907,SKEW902" },
			[]string{"accepted hazards (--accept-hazard)"}, func(t *testing.T, want *upgradev1.Plan) {
				if want.Annotations[AnnotationAcceptedHazards] != "SKEW907" {
					t.Errorf("accepted hazards %q", want.Annotations[AnnotationAcceptedHazards])
				}
			}},
		{"a record annotation worked out anew is kept quietly", func(want, _ *upgradev1.Plan) { want.Annotations[AnnotationFrom] = "v1.31.1+k3s1" },
			nil, func(t *testing.T, want *upgradev1.Plan) {
				if _, ok := want.Annotations[AnnotationFrom]; ok {
					t.Error("an annotation the Plan never had was added")
				}
			}},
		{"one of ours the run no longer writes stays", func(want, _ *upgradev1.Plan) { delete(want.Annotations, AnnotationAcceptedHazards) },
			[]string{"accepted hazards (--accept-hazard)"}, nil},
		{"someone else's annotation is not taken over", func(_, got *upgradev1.Plan) { got.Annotations["example.com/owner"] = "ops" },
			nil, func(t *testing.T, want *upgradev1.Plan) {
				if _, ok := want.Annotations["example.com/owner"]; ok {
					t.Error("a foreign annotation was copied into our apply")
				}
			}},
		{"keys the controller does not copy may change", func(want, _ *upgradev1.Plan) { want.Annotations["upgrade.cattle.io/digest"] = "spec.upgrade.envs" },
			nil, func(t *testing.T, want *upgradev1.Plan) {
				if want.Annotations["upgrade.cattle.io/digest"] == "" {
					t.Error("a key SUC does not copy to Jobs was dropped")
				}
			}},
		{"other drain, image and pull secrets", func(want, _ *upgradev1.Plan) {
			want.Spec.Drain = &upgradev1.DrainSpec{Force: true, DeleteEmptydirData: ptr.To(true)}
			want.Spec.Upgrade = &upgradev1.ContainerSpec{Image: "mirror.example/k3s-upgrade"}
			want.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "mirror"}}
		}, []string{"image pull secrets (--image-pull-secret)", "drain settings (--drain, --drain-*)", "upgrade image (--upgrade-image)"},
			func(t *testing.T, want *upgradev1.Plan) {
				if want.Spec.Upgrade.Image != "rancher/k3s-upgrade" || want.Spec.Drain.DeleteEmptydirData != nil || want.Spec.ImagePullSecrets != nil {
					t.Errorf("%+v", want.Spec)
				}
			}},
		{"a worked-out setting is kept without a word", func(want, _ *upgradev1.Plan) {
			want.Spec.Prepare = &upgradev1.ContainerSpec{Image: "rancher/k3s-upgrade", Args: []string{"prepare", "kubectl-skew-server"}}
		}, nil, func(t *testing.T, want *upgradev1.Plan) {
			if want.Spec.Prepare != nil {
				t.Errorf("prepare %+v, want none as created", want.Spec.Prepare)
			}
		}},
		{"selection and concurrency are the run's", func(want, _ *upgradev1.Plan) {
			want.Spec.Concurrency = 3
			want.Spec.NodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"b": "2"}}
		}, nil, func(t *testing.T, want *upgradev1.Plan) {
			if want.Spec.Concurrency != 3 || want.Spec.NodeSelector.MatchLabels["b"] != "2" {
				t.Errorf("%+v", want.Spec)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, got := created(), created()
			tc.edit(want, got)
			kept := KeepJobShape(want, got)
			if !slices.Equal(kept, tc.kept) {
				t.Errorf("kept %q, want %q", kept, tc.kept)
			}
			if tc.check != nil {
				tc.check(t, want)
			}
		})
	}
}

func TestAbortingMark(t *testing.T) {
	p := &upgradev1.Plan{Spec: upgradev1.PlanSpec{NodeSelector: &metav1.LabelSelector{}}}
	if AbortingSince(p) != "" {
		t.Fatal("an unmarked Plan reads as aborting")
	}
	at := metav1.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC).Time
	MarkAborting(p, at)
	MarkAborting(p, at.Add(time.Hour)) // marked once: the first time stays
	if got := AbortingSince(p); got != "2026-12-05T13:00:00Z" || len(p.Spec.NodeSelector.MatchExpressions) != 1 {
		t.Errorf("since %q, selector %+v", got, p.Spec.NodeSelector)
	}
	if len(p.Annotations) != 0 {
		t.Errorf("the mark reached the annotations, which SUC copies into its Jobs: %v", p.Annotations)
	}
	// A node carries no such label: the mark selects every node the rest selects.
	n := []corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "s-1", Labels: map[string]string{"kubernetes.io/hostname": "s-1"}}}}
	if got := Selects(p, n, nil); len(got) != 1 {
		t.Errorf("the marked Plan selects %v", got)
	}
}
