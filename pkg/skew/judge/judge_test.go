package judge

import (
	"reflect"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// flowSchemas is a scan whose one file uses flowcontrol v1beta3, which v1.32 removes.
func flowSchemas() *deprecation.Scan {
	return &deprecation.Scan{Files: 1, Uses: []deprecation.Use{{Source: deprecation.SourceFile, APIVersion: "flowcontrol.apiserver.k8s.io/v1beta3",
		Kind: "FlowSchema", Name: "fs", File: "fs.yaml", Document: 1}}, Skipped: []deprecation.Skipped{{What: "the apiserver's /metrics", Reason: "forbidden"}}}
}

func ids(fs []policy.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

func TestJudge(t *testing.T) {
	from := version.MustParse("v1.31.4+k3s1")
	to32 := Hops{From: &from, Scan: true, APIs: []deprecation.Hop{{Minor: version.MinorVersion{Major: 1, Minor: 32}}}}
	hazardHops := hazard.TargetHops(from, *testworld.Target(t, "v1.32.5+k3s1"), nil)
	tests := []struct {
		name      string
		hops      Hops
		facts     *Facts
		scanHops  string   // the scan's From and hops, "" when it did not run
		findings  []string // removed-API findings
		skipped   []string
		hazardOps int // hazard reports
	}{
		{"nothing judged", Hops{From: &from}, &Facts{APIs: flowSchemas()}, "", nil, nil, 0},
		{"unknown control plane", Hops{Scan: true}, &Facts{}, "", nil, []string{"the removed-API scan"}, 0},
		{"the hop removes it", to32, &Facts{APIs: flowSchemas()}, "v1.31 [v1.32]", []string{policy.FileRemovedAPI}, []string{"the apiserver's /metrics"}, 0},
		{"the cluster as it is", Hops{From: &from, Scan: true}, &Facts{APIs: flowSchemas()}, "v1.31 []", []string{policy.FileDeprecatedAPI}, []string{"the apiserver's /metrics"}, 0},
		{"no scan read is an empty scan", to32, &Facts{}, "v1.31 [v1.32]", nil, nil, 0},
		{"hazard facts never read are skipped", Hops{From: &from, Hazards: hazardHops}, &Facts{}, "", nil, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := Judge(tt.hops, tt.facts, nil)
			scan := ""
			if j.APIScan != nil {
				scan = j.APIScan.From + " [" + strings.Join(j.APIScan.Hops, " ") + "]"
			}
			if scan != tt.scanHops {
				t.Errorf("scan %q, want %q", scan, tt.scanHops)
			}
			if got := ids(deprecation.Findings(j.APIs)); !reflect.DeepEqual(got, tt.findings) {
				t.Errorf("removed-API findings %v, want %v", got, tt.findings)
			}
			if len(j.Hazards) != tt.hazardOps {
				t.Errorf("%d hazard reports, want %d", len(j.Hazards), tt.hazardOps)
			}
			var what []string
			for _, s := range j.Skipped {
				if !strings.HasPrefix(s.What, "hazard ") {
					what = append(what, s.What)
				}
			}
			if !reflect.DeepEqual(what, tt.skipped) {
				t.Errorf("skipped %v, want %v", what, tt.skipped)
			}
			if tt.hazardOps > 0 && (len(j.Skipped) == 0 || !strings.HasSuffix(j.Skipped[0].Reason, "not read")) {
				t.Errorf("hazards without facts must be skipped as not read: %+v", j.Skipped)
			}
		})
	}
}

// TestFindingsOrder: the removed-API findings come before the hazards', each hazard
// message naming its hop and an accepted one saying so.
func TestFindingsOrder(t *testing.T) {
	j := &Judgement{
		APIs: []deprecation.Verdict{{Finding: policy.Finding{ID: "SKEW501", Severity: policy.Warning}}},
		Hazards: []hazard.HopReport{{Hop: "v1.31 -> v1.32", Findings: []hazard.Finding{
			{Finding: policy.Finding{ID: "SKEW901", Severity: policy.Error, Message: "m"}, Blocking: true, Accepted: true}}}},
	}
	got := j.Findings()
	if !reflect.DeepEqual(ids(got), []string{"SKEW501", "SKEW901"}) {
		t.Fatalf("findings %v", ids(got))
	}
	if got[1].Message != "at v1.31 -> v1.32: m (accepted)" {
		t.Errorf("hazard message %q", got[1].Message)
	}
}

func TestPerHop(t *testing.T) {
	p := &upgradepath.Path{Hops: []upgradepath.Hop{
		hop(1, "v1.31.4+k3s1", "v1.32.5+k3s1", []string{"s1"}, nil),
		hop(2, "v1.32.5+k3s1", "v1.33.1+k3s1", []string{"s1"}, nil),
	}}
	at := func(minor uint64, id string, sev policy.Severity) deprecation.Verdict {
		return deprecation.Verdict{Hop: version.MinorVersion{Major: 1, Minor: minor}, Finding: policy.Finding{ID: id, Severity: sev}}
	}
	finding := func(id string, blocking, accepted bool) hazard.Finding {
		return hazard.Finding{Finding: policy.Finding{ID: id, Severity: policy.Error, Subject: id}, Blocking: blocking, Accepted: accepted}
	}
	j := &Judgement{
		APIs: []deprecation.Verdict{at(32, "SKEW502", policy.Warning), at(32, "SKEW501", policy.Error), at(33, "SKEW503", policy.Error), at(35, "SKEW504", policy.Info)},
		Hazards: []hazard.HopReport{
			{Findings: []hazard.Finding{finding("SKEW906", true, false), finding("SKEW906", true, false), finding("SKEW901", true, true)}},
			{Findings: []hazard.Finding{finding("SKEW907", false, false)}},
		},
	}
	got := j.PerHop(p)
	want := []struct {
		apis, hazards, blocking []string
	}{
		{[]string{"SKEW501", "SKEW502"}, []string{"SKEW906", "SKEW906", "SKEW901"}, []string{"SKEW906"}},
		{[]string{"SKEW503", "SKEW504"}, []string{"SKEW907"}, nil},
	}
	if len(got) != len(want) {
		t.Fatalf("%d hops, want %d", len(got), len(want))
	}
	for i, w := range want {
		if !reflect.DeepEqual(ids(got[i].APIs), w.apis) || !reflect.DeepEqual(ids(got[i].Hazards), w.hazards) || !reflect.DeepEqual(got[i].BlockingHazards, w.blocking) {
			t.Errorf("hop %d: apis %v, hazards %v, blocking %v; want %v, %v, %v", i+1,
				ids(got[i].APIs), ids(got[i].Hazards), got[i].BlockingHazards, w.apis, w.hazards, w.blocking)
		}
	}
	if len((&Judgement{}).PerHop(&upgradepath.Path{})) != 0 {
		t.Error("a path without hops has no verdicts")
	}
}

func TestTargetAdds(t *testing.T) {
	tests := []struct {
		name   string
		inv    *cluster.Inventory
		target string
		want   []string
	}{
		{"nothing in the way", testworld.Inventory(t, "server s1 v1.31.4+k3s1", "agent a1 v1.31.4+k3s1"), "v1.32", nil},
		{"a skipped minor", testworld.Inventory(t, "server s1 v1.31.4+k3s1"), "v1.33", []string{policy.TargetSkipsMinor}},
		// The agent's warning today (SKEW103) and the target's error are two findings.
		{"an agent left behind", testworld.Inventory(t, "server s1 v1.31.4+k3s1", "agent a1 v1.28.9+k3s1"), "v1.32", []string{policy.TargetKubeletOutOfSkew}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := Skew(tt.inv, nil)
			got := ids(TargetAdds(tt.inv, *testworld.Target(t, tt.target), now))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("target adds %v, want %v (now: %v)", got, tt.want, ids(now))
			}
		})
	}
}
