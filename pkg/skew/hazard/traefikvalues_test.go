package hazard

import (
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestTraefikValuesApplies checks SKEW912 on both sides of the chart 38 and chart 40
// boundaries, which the bundled Traefik marks (3.6, 3.7), on both distributions.
func TestTraefikValuesApplies(t *testing.T) {
	tests := []struct {
		from, to string
		want     bool
		chart    int
	}{
		{"v1.33.7+k3s1", "v1.33.7+k3s3", true, 38}, // a re-release brings Traefik 3.6
		{"v1.33.7+k3s3", "v1.33.8+k3s1", false, 0},
		{"v1.33.8+k3s1", "v1.33.12+k3s1", false, 0},
		{"v1.33.12+k3s1", "v1.33.13+k3s1", true, 40},
		{"v1.33.13+k3s1", "v1.33.13+k3s2", false, 0}, // the notes list no Traefik, and 3.7 came before
		{"v1.34.3+k3s1", "v1.34.4+k3s1", true, 38},
		{"v1.34.8+k3s1", "v1.34.9+k3s1", true, 40},
		{"v1.34.4+k3s1", "v1.34.8+k3s1", false, 0},
		{"v1.35.0+k3s1", "v1.35.0+k3s3", true, 38},
		{"v1.32.9+k3s1", "v1.33.5+k3s1", false, 0},     // 3.3 to 3.3
		{"v1.32.9+k3s1", "v1.33.8+k3s1", true, 38},     // crosses into a line that has it
		{"v1.34.3+k3s1", "v1.35.8+k3s1", true, 40},     // both: judged against the newer
		{"v1.35.5+rke2r1", "v1.35.6+rke2r1", true, 40}, // RKE2 too (rke2-traefik)
		{"v1.36.2+rke2r1", "v1.36.3+rke2r1", false, 0}, // 3.7 to 3.7
		{"v1.34.9+k3s1", "v1.34.12+k3s1", false, 0},    // newer than the data, after 3.7: nothing to cross
		{"v1.34.3+k3s1", "v1.34.12+k3s1", true, 40},    // newer than the data: never assumed safe
	}
	e, ok := ByID("SKEW912")
	if !ok {
		t.Fatal("no SKEW912")
	}
	for _, tt := range tests {
		h := hop(tt.from, tt.to)
		if got := e.Relevant(h); got != tt.want {
			t.Errorf("%s -> %s: relevant = %v, want %v", tt.from, tt.to, got, tt.want)
		}
		if s, ok := traefikSchemaFor(h); tt.want && (!ok || s.chart != tt.chart) {
			t.Errorf("%s -> %s: judged against chart %d, want %d", tt.from, tt.to, s.chart, tt.chart)
		}
	}
}

func traefikConfig(values string) Object {
	return Object{Kind: "helmchartconfig", Namespace: "kube-system", Name: "traefik", Detail: values}
}

func TestJudgeTraefikValues(t *testing.T) {
	to38 := hop("v1.34.3+k3s1", "v1.34.4+k3s1")
	to40 := hop("v1.34.8+k3s1", "v1.34.9+k3s1")
	tests := []struct {
		name    string
		hop     Hop
		charts  []Object
		want    []string // substrings of the hits, in order
		unknown bool
	}{
		{"no HelmChartConfig", to38, nil, nil, false},
		{"known keys pass 38", to38, []Object{traefikConfig("ports:\n  web:\n    redirections:\n      entryPoint:\n        to: websecure\nproviders:\n  kubernetesIngress:\n    publishedService:\n      enabled: true\n")}, nil, false},
		{"unknown port key fails 38", to38, []Object{traefikConfig("ports:\n  postgres:\n    name: pg\n    port: 5432\n")}, []string{"ports.postgres.name", "chart v38"}, false},
		{"unknown provider key fails 38", to38, []Object{traefikConfig("providers:\n  kubernetesIngress:\n    ingressEndpoint:\n      ip: 1.2.3.4\n")}, []string{"providers.kubernetesIngress.ingressEndpoint"}, false},
		{"unknown root key passes 38", to38, []Object{traefikConfig("additional:\n  checkNewVersion: false\n")}, nil, false},
		{"unknown root key fails 40", to40, []Object{traefikConfig("additional:\n  checkNewVersion: false\n")}, []string{"sets additional", "chart v40"}, false},
		{"podSecurityPolicy dropped in 40", to40, []Object{traefikConfig("podSecurityPolicy:\n  enabled: false\n")}, []string{"podSecurityPolicy"}, false},
		{"renamed provider in 40", to40, []Object{traefikConfig("providers:\n  kubernetesIngressNginx:\n    enabled: true\n")}, []string{"renamed kubernetesIngressNGINX"}, false},
		{"new provider name passes 40", to40, []Object{traefikConfig("providers:\n  kubernetesIngressNGINX:\n    enabled: true\n")}, nil, false},
		{"old provider name passes 38", to38, []Object{traefikConfig("providers:\n  kubernetesIngressNginx:\n    enabled: true\n")}, nil, false},
		{"other HelmChartConfig ignored", to40, []Object{{Kind: "helmchartconfig", Namespace: "kube-system", Name: "rke2-ingress-nginx", Detail: "x: 1"}}, nil, false},
		{"malformed values unknown", to38, []Object{traefikConfig("ports: [web\n")}, []string{"values not checked"}, true},
		{"a list is not a mapping", to38, []Object{traefikConfig("- a\n- b\n")}, []string{"values not checked"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits := judgeTraefikValues(tt.hop, &Facts{HelmCharts: tt.charts})
			if len(tt.want) == 0 {
				if len(hits) != 0 {
					t.Fatalf("want no hits: %+v", hits)
				}
				return
			}
			if len(hits) != 1 {
				t.Fatalf("want one hit: %+v", hits)
			}
			for _, w := range tt.want {
				if !strings.Contains(hits[0].Message, w) {
					t.Errorf("hit %q does not say %q", hits[0].Message, w)
				}
			}
			if hits[0].Unknown != tt.unknown || hits[0].Subject != "helmchartconfig/kube-system/traefik" {
				t.Errorf("hit %+v: unknown want %v", hits[0], tt.unknown)
			}
		})
	}
}

// TestSnippetRiskLevelParsed: the risk level is read from the values, quoted or not,
// and only where the chart reads it.
func TestSnippetRiskLevelParsed(t *testing.T) {
	for values, want := range map[string]bool{
		"controller:\n  config:\n    annotations-risk-level: Critical\n":     true,
		"controller:\n  config:\n    annotations-risk-level: \"Critical\"\n": true,
		"controller:\n  config:\n    annotations-risk-level: High\n":         false,
		"# annotations-risk-level: Critical\ncontroller: {}\n":               false,
		"controller: [\n": false,
		"":                false,
	} {
		if got := criticalRiskAllowed(values); got != want {
			t.Errorf("%q: %v, want %v", values, got, want)
		}
	}
}

func FuzzParseChartValues(f *testing.F) {
	f.Add("ports:\n  web:\n    port: 8000\n")
	f.Add("providers:\n  kubernetesIngressNginx: {enabled: true}\n")
	f.Add("- a")
	f.Add("a: &x [*x]")
	f.Fuzz(func(t *testing.T, content string) {
		values, err := ParseChartValues(content)
		if err != nil {
			return
		}
		if values == nil {
			t.Fatalf("nil values without error for %q", content)
		}
		_ = traefikSchema40.rejected(values)
		_ = traefikSchema38.rejected(values)
	})
}

// TestTargetHopNamesHideThePlaceholder: hops after the first start from "the newest
// patch of a minor", shown as the minor.
func TestTargetHopNamesHideThePlaceholder(t *testing.T) {
	hops := TargetHops(version.MustParse("v1.33.5+k3s1"), version.Target{Version: version.MustParse("v1.35.0")}, nil)
	var names []string
	for _, h := range hops {
		names = append(names, h.String())
	}
	if got := strings.Join(names, ", "); got != "v1.33.5+k3s1 -> v1.34, v1.34 -> v1.35" {
		t.Errorf("hop names %q", got)
	}
}
