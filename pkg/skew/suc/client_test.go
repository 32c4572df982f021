package suc

import (
	"errors"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestPreviewAgainst(t *testing.T) {
	plan := func(ours bool, concurrency int64, annotations map[string]string) upgradev1.Plan {
		p := upgradev1.Plan{ObjectMeta: metav1.ObjectMeta{Name: "kubectl-skew-server", Namespace: "system-upgrade", Annotations: annotations}}
		if ours {
			p.Labels = map[string]string{LabelManagedBy: ManagedBy}
		}
		p.Spec.Concurrency = concurrency
		return p
	}
	// An earlier kubectl-skew marked an aborting Plan with an annotation; now the
	// mark is in the selector (aborting.go).
	legacy := map[string]string{KeyAborting: "2026-12-05T13:00:00Z"}
	marked := func(concurrency int64) upgradev1.Plan {
		p := plan(true, concurrency, nil)
		MarkAborting(&p, time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC))
		return p
	}
	cases := []struct {
		name     string
		existing []upgradev1.Plan
		want     upgradev1.Plan
		action   Action
		err      error
	}{
		{"new", nil, plan(true, 1, nil), Created, nil},
		{"as wanted", []upgradev1.Plan{plan(true, 1, nil)}, plan(true, 1, nil), Unchanged, nil},
		{"changed", []upgradev1.Plan{plan(true, 1, nil)}, plan(true, 2, nil), Configured, nil},
		{"someone else's", []upgradev1.Plan{plan(false, 1, nil)}, plan(true, 1, nil), "", ErrNotOurs},
		{"an abort holds it", []upgradev1.Plan{marked(1)}, plan(true, 2, nil), "", ErrAborting},
		{"abort itself, again", []upgradev1.Plan{marked(1)}, marked(1), Unchanged, nil},
		{"an earlier version's abort holds it", []upgradev1.Plan{plan(true, 1, legacy)}, plan(true, 2, nil), "", ErrAborting},
	}
	for _, tc := range cases {
		want := tc.want
		got, err := PreviewAgainst([]*upgradev1.Plan{&want}, tc.existing)
		switch {
		case tc.err != nil:
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: error %v, want %v", tc.name, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case got[0].Action != tc.action:
			t.Errorf("%s: %s, want %s", tc.name, got[0].Action, tc.action)
		}
	}
}
