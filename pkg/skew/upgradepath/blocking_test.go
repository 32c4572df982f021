package upgradepath

import (
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

func TestPathBlocking(t *testing.T) {
	finding := func(id string) []policy.Finding { return []policy.Finding{{ID: id, Severity: policy.Error}} }
	tests := []struct {
		name string
		hops []Hop
		want []int // numbers of the blocked hops
	}{
		{"no hops", nil, nil},
		{"clear", []Hop{{Number: 1}, {Number: 2, Findings: finding("SKEW101")}}, nil},
		{"second hop", []Hop{{Number: 1}, {Number: 2, Blocking: finding("SKEW102")}}, []int{2}},
		{"every blocked hop, in order", []Hop{{Number: 1, Blocking: finding("SKEW102")}, {Number: 2}, {Number: 3, Blocking: finding("SKEW103")}}, []int{1, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Path{Hops: tt.hops}
			got := p.Blocking()
			if len(got) != len(tt.want) {
				t.Fatalf("%d blocked hops, want %v", len(got), tt.want)
			}
			for i, b := range got {
				if b.Hop.Number != tt.want[i] || len(b.Findings) == 0 || b.Findings[0].ID != b.Hop.Blocking[0].ID {
					t.Errorf("blocked hop %d: %+v, want hop %d with its findings", i, b, tt.want[i])
				}
			}
			if p.Blocked() != (len(tt.want) > 0) {
				t.Errorf("Blocked() = %v with %d blocked hops", p.Blocked(), len(tt.want))
			}
		})
	}
}
