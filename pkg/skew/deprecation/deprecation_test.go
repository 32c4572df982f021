package deprecation

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range Table() {
		key := a.APIVersion() + " " + a.Kind
		if seen[key] {
			t.Errorf("%s appears twice", key)
		}
		seen[key] = true
		if a.Deprecated.Major != 1 {
			t.Errorf("%s: no deprecation release", key)
		}
		if a.IsRemoved() && a.Removed.Compare(a.Deprecated) <= 0 {
			t.Errorf("%s: removed in %s, not after its deprecation in %s", key, a.Removed, a.Deprecated)
		}
		if a.Replacement != "" {
			if _, deprecated := Lookup(strings.Fields(a.Replacement)[0], a.Kind); deprecated && a.Replacement != "policy/v1beta1" {
				t.Errorf("%s: the replacement %s is deprecated too", key, a.Replacement)
			}
		}
	}
	for _, tc := range []struct {
		apiVersion, kind string
		at               uint64 // the minor the replacement is for
		removed          string
		replacement      string
	}{
		{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", 32, "v1.32", "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		{"flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", 29, "v1.29", "flowcontrol.apiserver.k8s.io/v1 PriorityLevelConfiguration"},
		// v1 is served from v1.29: on hops to v1.26-v1.28 the way out is v1beta3.
		{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", 28, "v1.29", "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema"},
		{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 26, "v1.26", "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema"},
		{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", 29, "v1.26", "flowcontrol.apiserver.k8s.io/v1 FlowSchema"},
		{"extensions/v1beta1", "Ingress", 22, "v1.22", "networking.k8s.io/v1 Ingress"},
		{"policy/v1beta1", "PodSecurityPolicy", 25, "v1.25", "nothing (the kind has no replacement)"},
		{"batch/v1beta1", "CronJob", 25, "v1.25", "batch/v1 CronJob"},
		{"autoscaling/v2beta2", "HorizontalPodAutoscaler", 26, "v1.26", "autoscaling/v2 HorizontalPodAutoscaler"},
		{"storage.k8s.io/v1beta1", "CSIStorageCapacity", 27, "v1.27", "storage.k8s.io/v1 CSIStorageCapacity"},
		{"apps/v1beta2", "StatefulSet", 16, "v1.16", "apps/v1 StatefulSet"},
		{"authorization.k8s.io/v1beta1", "SelfSubjectRulesReview", 22, "v1.22", "authorization.k8s.io/v1 SelfSubjectRulesReview"},
		{"authentication.k8s.io/v1beta1", "SelfSubjectReview", 33, "v1.33", "authentication.k8s.io/v1 SelfSubjectReview"},
		{"admissionregistration.k8s.io/v1beta1", "ValidatingAdmissionPolicy", 34, "v1.34", "admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy"},
		{"networking.k8s.io/v1beta1", "ServiceCIDR", 37, "v1.37", "networking.k8s.io/v1 ServiceCIDR"},
		{"resource.k8s.io/v1beta2", "ResourceClaim", 39, "v1.39", "resource.k8s.io/v1 ResourceClaim"},
		{"v1", "Endpoints", 33, "", "discovery.k8s.io/v1 EndpointSlice"},
	} {
		a, ok := Lookup(tc.apiVersion, tc.kind)
		if !ok {
			t.Errorf("%s %s: not in the table", tc.apiVersion, tc.kind)
			continue
		}
		removed := ""
		if a.IsRemoved() {
			removed = a.Removed.String()
		}
		at := version.MinorVersion{Major: 1, Minor: tc.at}
		if removed != tc.removed || a.ReplacementText(at) != tc.replacement {
			t.Errorf("%s %s at %s: removed %q, replacement %q; want %q, %q", tc.apiVersion, tc.kind, at, removed, a.ReplacementText(at), tc.removed, tc.replacement)
		}
	}
	if a, _ := Lookup("storage.k8s.io/v1beta1", "CSINode"); a.Deprecated.String() != "v1.17" {
		t.Errorf("storage.k8s.io/v1beta1 CSINode: deprecated in %s, want v1.17", a.Deprecated)
	}
	for _, gvk := range [][2]string{{"apps/v1", "Deployment"}, {"flowcontrol.apiserver.k8s.io/v1", "FlowSchema"}, {"v1", "ConfigMap"}} {
		if _, ok := Lookup(gvk[0], gvk[1]); ok {
			t.Errorf("%v is current, but the table has it", gvk)
		}
	}
}

const flowSchemaManifest = `---
# Source: prom/templates/fs.yaml
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata:
  name: prom-fs
---
# Source: prom/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prom
  namespace: monitoring
`

func release(manifest, kubeVersion string) map[string]any {
	return map[string]any{
		"name": "prom", "namespace": "monitoring", "version": 3,
		"info":     map[string]any{"status": "deployed"},
		"chart":    map[string]any{"metadata": map[string]any{"name": "prom", "version": "1.2.3", "kubeVersion": kubeVersion}, "templates": []any{}},
		"manifest": manifest,
	}
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestDecodeRelease(t *testing.T) {
	stored, err := EncodeRelease(release(flowSchemaManifest, ">=1.25.0-0"))
	if err != nil {
		t.Fatal(err)
	}
	bomb := []byte(base64.StdEncoding.EncodeToString(gz(bytes.Repeat([]byte(" "), 2<<20))))
	for _, tc := range []struct {
		name    string
		stored  []byte
		limit   int64
		want    string // release name, or the error's substring
		tooBig  bool
		wantErr bool
	}{
		{name: "as Helm stores it", stored: stored, want: "prom"},
		{name: "plain JSON inside base64", stored: []byte(base64.StdEncoding.EncodeToString([]byte(`{"name":"plain","version":1}`))), want: "plain"},
		{name: "stored value over the limit", stored: stored, limit: 10, tooBig: true, wantErr: true},
		{name: "gzip that expands over the limit", stored: bomb, limit: 1 << 20, tooBig: true, wantErr: true},
		{name: "not base64", stored: []byte("%%%"), want: "not base64", wantErr: true},
		{name: "truncated gzip", stored: []byte(base64.StdEncoding.EncodeToString(gz([]byte(`{"name":"x"}`))[:12])), want: "decompress", wantErr: true},
		{name: "not JSON", stored: []byte(base64.StdEncoding.EncodeToString([]byte("nope"))), want: "not JSON", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeRelease(tc.stored, tc.limit)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("no error")
				}
				if errors.Is(err, ErrTooLarge) != tc.tooBig || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v; want too large %v, containing %q", err, tc.tooBig, tc.want)
				}
				return
			}
			if err != nil || r.Name != tc.want {
				t.Fatalf("DecodeRelease = %+v, %v; want %s", r, err, tc.want)
			}
		})
	}
}

func TestReadManifest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		want     []string // "index template apiVersion kind namespace/name"
		problems []int
	}{
		{"Helm manifest", flowSchemaManifest, []string{"1 prom/templates/fs.yaml flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema /prom-fs", "2 prom/templates/deploy.yaml apps/v1 Deployment monitoring/prom"}, nil},
		{"empty documents and comments are not counted", "---\n# nothing\n---\n\n--- # c\napiVersion: v1\nkind: Endpoints\nmetadata: {name: e}\n", []string{"1  v1 Endpoints /e"}, nil},
		{"a bad document leaves the others", "apiVersion: v1\nkind: [\n---\napiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: c\n", []string{"2  batch/v1beta1 CronJob /c"}, []int{1}},
		{"a List's items", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: extensions/v1beta1\n  kind: Ingress\n  metadata: {name: i, namespace: web}\n", []string{"1  extensions/v1beta1 Ingress web/i"}, nil},
		{"JSON stream", `{"apiVersion":"policy/v1beta1","kind":"PodDisruptionBudget","metadata":{"name":"p"}} {"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}`, []string{"1  policy/v1beta1 PodDisruptionBudget /p", "2  v1 Service /s"}, nil},
		{"JSON array", `[{"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"e"}}]`, []string{"1  v1 Endpoints /e"}, nil},
		{"broken JSON", `{"apiVersion":`, nil, []int{1}},
		{"not an object", "just text\n", nil, []int{1}},
		{"a separator inside a block scalar is still a separator, as for kubectl", "a: |\n  x\n---\napiVersion: v1\nkind: Endpoints\n", []string{"2  v1 Endpoints /"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			docs, problems := ReadManifest([]byte(tc.in))
			var got []string
			for _, d := range docs {
				got = append(got, strings.Join([]string{itoa(d.Index), d.Template, d.APIVersion, d.Kind, d.Namespace + "/" + d.Name}, " "))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("docs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			var idx []int
			for _, p := range problems {
				idx = append(idx, p.Index)
			}
			if len(idx) != len(tc.problems) || (len(idx) > 0 && idx[0] != tc.problems[0]) {
				t.Errorf("problems at %v (%+v), want %v", idx, problems, tc.problems)
			}
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func minorOf(s string) version.MinorVersion {
	m, err := version.ParseMinor(s)
	if err != nil {
		panic(err)
	}
	return m
}

func TestJudge(t *testing.T) {
	helm := func(apiVersion, kind string) Use {
		return Use{Source: SourceHelm, APIVersion: apiVersion, Kind: kind, Name: "x", Release: &ReleaseRef{Namespace: "ns", Name: "rel", Revision: 2}}
	}
	obj := Use{Source: SourceObject, APIVersion: "autoscaling/v2beta2", Kind: "HorizontalPodAutoscaler", Namespace: "web", Name: "hpa"}
	file := Use{Source: SourceFile, APIVersion: "flowcontrol.apiserver.k8s.io/v1beta3", Kind: "PriorityLevelConfiguration", Name: "p", File: "a.yaml", Document: 2}
	exact := version.MustParse("v1.32.5+k3s1")
	for _, tc := range []struct {
		name     string
		scan     Scan
		from, to string
		exact    bool
		want     []string // "hop id severity"
	}{
		{"removed on the way", Scan{Uses: []Use{helm("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema")}}, "1.30", "1.33", false, []string{"v1.32 SKEW801 error"}},
		{"removed at the target itself", Scan{Uses: []Use{file}}, "1.31", "1.32", false, []string{"v1.32 SKEW821 error"}},
		{"only deprecated at the target", Scan{Uses: []Use{helm("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema")}}, "1.29", "1.31", false, []string{"v1.31 SKEW802 warning"}},
		{"not yet deprecated", Scan{Uses: []Use{helm("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema")}}, "1.26", "1.28", false, nil},
		{"removed already", Scan{Uses: []Use{obj}}, "1.30", "1.31", false, []string{"v1.31 SKEW811 error"}},
		{"current API", Scan{Uses: []Use{helm("apps/v1", "Deployment")}}, "1.30", "1.33", false, nil},
		{"two documents of one release are one finding", Scan{Uses: []Use{helm("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"), helm("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema")}}, "1.30", "1.32", false, []string{"v1.32 SKEW801 error"}},
		{"kubeVersion excludes a minor on the way", Scan{Charts: []Chart{{Release: ReleaseRef{Namespace: "ns", Name: "rel"}, KubeVersion: ">=1.25.0-0 <1.32.0-0"}}}, "1.30", "1.33", false, []string{"v1.32 SKEW803 error"}},
		{"kubeVersion admits some patch of each minor", Scan{Charts: []Chart{{Release: ReleaseRef{Namespace: "ns", Name: "rel"}, KubeVersion: ">=1.31.4"}}}, "1.30", "1.31", false, nil},
		{"kubeVersion against the exact release", Scan{Charts: []Chart{{Release: ReleaseRef{Namespace: "ns", Name: "rel"}, KubeVersion: "<=1.32.4"}}}, "1.31", "1.32", true, []string{"v1.32 SKEW803 error"}},
		{"kubeVersion unreadable", Scan{Charts: []Chart{{Release: ReleaseRef{Namespace: "ns", Name: "rel"}, KubeVersion: ">>1"}}}, "1.30", "1.31", false, []string{"v1.31 SKEW803 warning"}},
		{"unreadable release", Scan{Problems: []Problem{{Source: SourceHelm, Release: &ReleaseRef{Namespace: "ns", Name: "big"}, Reason: "release too large"}}}, "1.30", "1.31", false, []string{"v1.31 SKEW804 warning"}},
		{"requested, removed on the way", Scan{Metrics: mustMetrics(t)}, "1.30", "1.33", false, []string{"v1.32 SKEW831 error", "v1.33 SKEW832 info"}},
		{"requested, removed past the target", Scan{Metrics: mustMetrics(t)}, "1.30", "1.31", false, []string{"v1.31 SKEW832 info", "v1.31 SKEW832 warning"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hops := Hops(minorOf(tc.from), minorOf(tc.to))
			if tc.exact {
				hops[len(hops)-1].Version = &exact
			}
			var got []string
			for _, v := range Judge(&tc.scan, minorOf(tc.from), hops) {
				got = append(got, strings.Join([]string{v.Hop.String(), v.Finding.ID, string(v.Finding.Severity)}, " "))
				if v.Finding.Message == "" || v.Finding.Fix == "" || v.Finding.Subject == "" {
					t.Errorf("incomplete finding %+v", v.Finding)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("verdicts %v, want %v", got, tc.want)
			}
		})
	}
}

func TestJudgeNamesReleaseAPIAndRemoval(t *testing.T) {
	s, err := EncodeRelease(release(flowSchemaManifest, ""))
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeRelease(s, 0)
	if err != nil {
		t.Fatal(err)
	}
	fs := Findings(Judge(r.Scan("secret sh.helm.release.v1.prom.v3"), minorOf("1.30"), Hops(minorOf("1.30"), minorOf("1.33"))))
	if len(fs) != 1 || fs[0].Severity != policy.Error {
		t.Fatalf("findings %+v", fs)
	}
	for _, want := range []string{"monitoring/prom", "revision 3", "flowcontrol.apiserver.k8s.io/v1beta3", "v1.32", "prom-fs", "prom/templates/fs.yaml"} {
		if !strings.Contains(fs[0].Message, want) {
			t.Errorf("message %q does not name %q", fs[0].Message, want)
		}
	}
}

func mustMetrics(t *testing.T) *Metrics {
	m, err := ParseMetrics([]byte(deprecatedMetrics))
	if err != nil {
		t.Fatal(err)
	}
	return &m
}

func TestParseLastApplied(t *testing.T) {
	for _, tc := range []struct{ in, apiVersion, kind string }{
		{`{"apiVersion":"extensions/v1beta1","kind":"Ingress","metadata":{"annotations":{}}}`, "extensions/v1beta1", "Ingress"},
		{`{"kind":"Ingress"}`, "", ""},
		{`not json`, "", ""},
	} {
		a, k, _ := ParseLastApplied(tc.in)
		if a != tc.apiVersion || k != tc.kind {
			t.Errorf("ParseLastApplied(%s) = %s %s", tc.in, a, k)
		}
	}
}

func FuzzDecodeRelease(f *testing.F) {
	s, _ := EncodeRelease(release(flowSchemaManifest, ">=1.20"))
	f.Add(s)
	f.Add([]byte(base64.StdEncoding.EncodeToString(gz([]byte(`{"manifest":"a: [b"}`)))))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRelease(b, 1<<20)
		if err == nil {
			r.Scan("secret x")
		}
	})
}

func FuzzReadManifest(f *testing.F) {
	f.Add([]byte(flowSchemaManifest))
	f.Add([]byte(`[{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Endpoints"}]}]`))
	f.Add([]byte("a: &a [*a]\n---\n- - - -\n"))
	f.Fuzz(func(t *testing.T, b []byte) { ReadManifest(b) })
}
