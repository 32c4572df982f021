package hazard

import (
	"reflect"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

func TestBlocks(t *testing.T) {
	tests := []struct {
		name               string
		blocking, accepted bool
		want               bool
	}{
		{"blocking", true, false, true},
		{"blocking, accepted", true, true, false},
		{"warning", false, false, false},
		{"warning, accepted", false, true, false},
	}
	var reports []HopReport
	var want []string
	for _, tt := range tests {
		f := Finding{Finding: policy.Finding{ID: tt.name}, Blocking: tt.blocking, Accepted: tt.accepted}
		if got := f.Blocks(); got != tt.want {
			t.Errorf("%s: Blocks() = %v, want %v", tt.name, got, tt.want)
		}
		reports = append(reports, HopReport{Hop: tt.name, Findings: []Finding{f}})
		if tt.want {
			want = append(want, tt.name)
		}
	}
	var got []string
	for _, f := range Blocking(reports) {
		got = append(got, f.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Blocking: %v, want %v", got, want)
	}
}
