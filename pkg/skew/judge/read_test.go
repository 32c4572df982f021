package judge

import (
	"context"
	"errors"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func TestRead(t *testing.T) {
	from := version.MustParse("v1.31.4+k3s1")
	nodes := testworld.Nodes(t, "server s1 v1.31.4+k3s1")
	hazardHops := hazard.TargetHops(from, *testworld.Target(t, "v1.32.5+k3s1"), nil)
	scanned := func(context.Context) (*deprecation.Scan, error) { return &deprecation.Scan{Files: 2}, nil }
	cancelled := func(ctx context.Context) (*deprecation.Scan, error) { return nil, context.Canceled }
	tests := []struct {
		name    string
		scan    func(context.Context) (*deprecation.Scan, error)
		hops    Hops
		files   int // -1: no scan
		hazards bool
		err     error
	}{
		{"nothing to read", scanned, Hops{From: &from}, -1, false, nil},
		{"the scan", scanned, Hops{From: &from, Scan: true}, 2, false, nil},
		{"no scanner is an empty scan", nil, Hops{From: &from, Scan: true}, 0, false, nil},
		{"no scan without a control plane", scanned, Hops{Scan: true}, -1, false, nil},
		{"hazard facts", nil, Hops{From: &from, Hazards: hazardHops}, -1, true, nil},
		{"the scan's error", cancelled, Hops{From: &from, Scan: true, Hazards: hazardHops}, -1, false, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Source{ScanAPIs: tt.scan, Hazards: hazard.Clients{Kube: fake.NewSimpleClientset()}}
			f, err := Read(context.Background(), src, nodes, tt.hops)
			if !errors.Is(err, tt.err) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			files := -1
			if f.APIs != nil {
				files = f.APIs.Files
			}
			if files != tt.files || (f.Hazards != nil) != tt.hazards {
				t.Errorf("scan files %d, hazard facts %v; want %d, %v", files, f.Hazards != nil, tt.files, tt.hazards)
			}
		})
	}
}

func TestScanAPIs(t *testing.T) {
	files := &deprecation.Scan{Files: 3, Uses: []deprecation.Use{{Source: deprecation.SourceFile, APIVersion: "v1", Kind: "Pod"}}}
	src := deprecation.ClusterSource{Kube: fake.NewSimpleClientset(), Discovery: fake.NewSimpleClientset().Discovery()}
	tests := []struct {
		name         string
		cfg          APIs
		files, uses  int
		releasesRead bool
	}{
		{"nothing", APIs{}, 0, 0, false},
		{"manifests only", APIs{Manifests: files}, 3, 1, false},
		{"the cluster and the manifests", APIs{Cluster: true, Manifests: files}, 3, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ScanAPIs(context.Background(), src, tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if s.Files != tt.files || len(s.Uses) != tt.uses || s.ReleasesRead != tt.releasesRead {
				t.Errorf("files %d, uses %d, releases read %v; want %d, %d, %v", s.Files, len(s.Uses), s.ReleasesRead, tt.files, tt.uses, tt.releasesRead)
			}
		})
	}
	if files.Files != 3 || len(files.Uses) != 1 {
		t.Errorf("the manifests were changed by the scans: %+v", files)
	}
}
