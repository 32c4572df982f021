package watch

import (
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

func TestChangeReport(t *testing.T) {
	at := time.Date(2026, 1, 2, 4, 4, 5, 0, time.FixedZone("CET", 3600))
	c := Change{State: &State{Evaluated: at, Nodes: 2, Findings: []policy.Finding{
		{Severity: policy.Error}, {Severity: policy.Warning}, {Severity: policy.Warning}, {Severity: policy.Info},
	}}}
	r := c.Report()
	if !r.Time.Equal(at) || r.Time.Location() != time.UTC {
		t.Errorf("time %v: the same instant, in UTC", r.Time)
	}
	if r.Nodes != 2 || r.Errors != 1 || r.Warnings != 2 || r.Info != 1 {
		t.Errorf("counts: %+v", r)
	}
	if r.Added == nil || r.Removed == nil {
		t.Error("added and removed are [] in JSON, never null")
	}
}
