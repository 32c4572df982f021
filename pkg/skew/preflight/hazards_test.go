package preflight

import (
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

func TestCheckHazards(t *testing.T) {
	path := &upgradepath.Path{Hops: []upgradepath.Hop{{Number: 1}}}
	hit := func(blocking, accepted bool, sev policy.Severity) []hazard.HopReport {
		return []hazard.HopReport{{Hop: "a -> b", Findings: []hazard.Finding{{
			Finding: policy.Finding{ID: "SKEW901", Severity: sev, Subject: "x"}, Blocking: blocking, Accepted: accepted}}}}
	}
	skipped := []hazard.HopReport{{Hop: "a -> b", Skipped: []hazard.Skip{{ID: "SKEW901", Reason: "forbidden"}}}}
	tests := []struct {
		name    string
		path    *upgradepath.Path
		reports []hazard.HopReport
		o       Options
		want    Result
	}{
		{"no path", nil, nil, Options{}, Skipped},
		{"turned off", path, nil, Options{NoHazards: true}, Skipped},
		{"nothing", path, []hazard.HopReport{{Hop: "a -> b"}}, Options{}, Pass},
		{"blocking", path, hit(true, false, policy.Error), Options{}, Fail},
		{"blocking accepted", path, hit(true, true, policy.Error), Options{}, Pass},
		{"warning", path, hit(false, false, policy.Warning), Options{}, Warn},
		{"warning strict", path, hit(false, false, policy.Warning), Options{Strict: true}, Fail},
		{"info only", path, hit(false, false, policy.Info), Options{}, Pass},
		{"skipped is never a pass", path, skipped, Options{}, Skipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := verdicts{}
			checkHazards(v, &Facts{Path: tt.path, Hazards: tt.reports}, tt.o)
			if got := v[CheckHazards].Result; got != tt.want {
				t.Fatalf("result %s, want %s: %+v", got, tt.want, v[CheckHazards])
			}
		})
	}
}
