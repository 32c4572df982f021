package deprecation

import (
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func TestParseMetrics(t *testing.T) {
	m, err := ParseMetrics([]byte(deprecatedMetrics + `
apiserver_requested_deprecated_apis{group="extensions",removed_release="1.22",resource="ingresses",subresource="status",version="v1beta1"} 1
apiserver_requested_deprecated_apis{group="batch",removed_release="1.25",resource="cronjobs",subresource="",version="v1beta1"} 0
apiserver_requested_deprecated_apis{group="x\"y",removed_release="1.33",resource="a\\b",subresource="",version="v1"} 1 1700000000000
apiserver_requested_deprecated_apis{broken
garbage line
`))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(1795690800, 0).UTC(); !m.Started.Equal(want) {
		t.Errorf("Started = %v, want %v", m.Started, want)
	}
	var got []string
	for _, d := range m.Deprecated {
		got = append(got, d.GVR()+"@"+d.RemovedRelease)
	}
	want := []string{`a\b.v1.x"y@1.33`, "componentstatuses.v1@", "flowschemas.v1beta3.flowcontrol.apiserver.k8s.io@1.32", "ingresses.v1beta1.extensions/status@1.22"}
	if len(got) != len(want) {
		t.Fatalf("Deprecated = %v, want %v (a 0 gauge is not a request)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Deprecated[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	minor := func(s string) version.MinorVersion { v, _ := version.ParseMinor(s); return v }
	for _, c := range []struct {
		from, to string
		n        int
	}{{"v1.30", "v1.33", 2}, {"v1.32", "v1.33", 1}, {"v1.31", "v1.31", 0}, {"v1.21", "v1.22", 1}, {"v1.33", "v1.34", 0}} {
		if got := m.RemovedBetween(minor(c.from), minor(c.to)); len(got) != c.n {
			t.Errorf("RemovedBetween(%s, %s) = %v, want %d", c.from, c.to, got, c.n)
		}
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte(deprecatedMetrics))
	f.Add([]byte(`apiserver_requested_deprecated_apis{group="a\`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseMetrics(b)
	})
}

const deprecatedMetrics = `# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1
process_start_time_seconds 1.7956908e+09
`
