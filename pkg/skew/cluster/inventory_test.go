package cluster

import (
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func TestAPIServerRange(t *testing.T) {
	apiserver := func(node, v string) Instance {
		cv := ComponentVersion{Version: v}
		if p, err := version.Parse(v); err == nil {
			cv.Parsed = &p
		}
		return Instance{Node: node, Components: map[Component]ComponentVersion{APIServer: cv}}
	}
	scheduler := Instance{Node: "s", Components: map[Component]ComponentVersion{Scheduler: {Version: "v1.20.0", Parsed: &version.Version{Major: 1, Minor: 20}}}}
	tests := []struct {
		name           string
		cp             []Instance
		oldest, newest string
		ok             bool
	}{
		{"none", nil, "", "", false},
		{"no apiserver", []Instance{scheduler}, "", "", false},
		{"unparsable only", []Instance{apiserver("a", "garbage")}, "", "", false},
		{"one", []Instance{apiserver("a", "v1.31.4+k3s1")}, "v1.31.4+k3s1", "v1.31.4+k3s1", true},
		{"oldest first", []Instance{apiserver("a", "v1.30.2"), apiserver("b", "v1.31.4"), apiserver("c", "v1.30.9")}, "v1.30.2", "v1.31.4", true},
		{"newest first", []Instance{apiserver("a", "v1.32.0"), apiserver("b", "v1.31.4"), scheduler}, "v1.31.4", "v1.32.0", true},
		{"unparsable skipped", []Instance{apiserver("a", "garbage"), apiserver("b", "v1.29.1"), apiserver("c", "v1.30.1")}, "v1.29.1", "v1.30.1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi, ok := (&Inventory{ControlPlane: tt.cp}).APIServerRange()
			if ok != tt.ok {
				t.Fatalf("ok %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if lo.String() != tt.oldest || hi.String() != tt.newest {
				t.Errorf("range %s..%s, want %s..%s", lo, hi, tt.oldest, tt.newest)
			}
		})
	}
}

func TestKubeletSample(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		want  string
	}{
		{"no nodes", nil, "nothing: the cluster has no nodes"},
		{"no versions", []Node{{Name: "a"}}, "no version"},
		{"first with a version", []Node{{Name: "a"}, {Name: "b", KubeletVersion: "v1.31.4"}, {Name: "c", KubeletVersion: "v1.30.1"}}, "v1.31.4"},
	}
	for _, tt := range tests {
		if got := (&Inventory{Nodes: tt.nodes}).KubeletSample(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
