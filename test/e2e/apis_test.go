package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/test/helmrelease"
)

const flowSchemaV1beta3 = `---
# Source: prom/templates/flowschema.yaml
apiVersion: flowcontrol.apiserver.k8s.io/v1beta3
kind: FlowSchema
metadata:
  name: prom-scrape
spec:
  priorityLevelConfiguration:
    name: workload-low
---
# Source: prom/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prom
  namespace: monitoring
`

// removedAPIWorld puts in the cluster what the removed-API scan reads: Helm releases
// stored exactly as Helm stores them (with an older, superseded revision that must be
// ignored), an object last applied with an API v1.32 removes, and the same in files.
func removedAPIWorld(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	kube := env.sb.Client
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	releases := []helmrelease.Release{
		{Namespace: "monitoring", Name: "prom", Revision: 2, Status: "superseded", Chart: "prom", ChartVersion: "1.0.0",
			Manifest: "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old\n"},
		{Namespace: "monitoring", Name: "prom", Revision: 3, Status: "deployed", Chart: "prom", ChartVersion: "1.1.0", KubeVersion: ">=1.25.0-0",
			Manifest: flowSchemaV1beta3, Templates: map[string]string{"templates/flowschema.yaml": "{{ .Values }}"}},
		{Namespace: "default", Name: "web", Revision: 1, Status: "deployed", Chart: "web", ChartVersion: "0.3.0", KubeVersion: ">=1.21.0-0 <1.32.0-0",
			Manifest: "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"},
	}
	for _, r := range releases {
		s, err := r.Secret()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kube.CoreV1().Secrets(r.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = kube.CoreV1().Secrets(s.Namespace).Delete(context.Background(), s.Name, metav1.DeleteOptions{})
		})
	}
	// Through the newest flowcontrol version this apiserver serves (v1 from v1.29,
	// v1beta3 on v1.28): the matrix runs this test on both.
	groups, err := kube.Discovery().ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	flowcontrol := ""
	for _, g := range groups.Groups {
		if g.Name == "flowcontrol.apiserver.k8s.io" {
			flowcontrol = g.PreferredVersion.Version
		}
	}
	if flowcontrol == "" {
		t.Fatal("the sandbox's apiserver serves no flowcontrol.apiserver.k8s.io version")
	}
	fs := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "flowcontrol.apiserver.k8s.io/" + flowcontrol, "kind": "FlowSchema",
		"metadata": map[string]any{"name": "legacy-batch", "annotations": map[string]any{
			deprecation.LastApplied: `{"apiVersion":"flowcontrol.apiserver.k8s.io/v1beta3","kind":"FlowSchema","metadata":{"annotations":{},"name":"legacy-batch"},"spec":{"matchingPrecedence":9000,"priorityLevelConfiguration":{"name":"workload-low"}}}` + "\n",
		}},
		"spec": map[string]any{"matchingPrecedence": int64(9000), "priorityLevelConfiguration": map[string]any{"name": "workload-low"}},
	}}
	flowSchemas := env.sb.Dynamic.Resource(schema.GroupVersionResource{Group: "flowcontrol.apiserver.k8s.io", Version: flowcontrol, Resource: "flowschemas"})
	if _, err := flowSchemas.Create(ctx, fs, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = flowSchemas.Delete(context.Background(), fs.GetName(), metav1.DeleteOptions{})
	})
}

// TestCheckTargetFindsRemovedAPIs: on v1.30, a target of v1.33 passes v1.32, which
// removes flowcontrol v1beta3: the Helm release, the applied object and the manifest
// file are errors (exit 3), named with where they stand; the chart whose kubeVersion
// stops below v1.32 is one too. A target of v1.31 only warns.
func TestCheckTargetFindsRemovedAPIs(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	removedAPIWorld(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "flow.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: PriorityLevelConfiguration\nmetadata: {name: low}\n"))
	writeFile(t, filepath.Join(dir, "nested.json"), []byte(`{"apiVersion":"batch/v1beta1","kind":"CronJob","metadata":{"name":"nightly","namespace":"ops"}}`))

	r := skew(t, "check", "--target", "v1.33", "-f", dir)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3\n%s", r.code, r)
	}
	for _, want := range []string{
		"SKEW801", "Helm release monitoring/prom (revision 3, chart prom-1.1.0) renders FlowSchema prom-scrape (prom/templates/flowschema.yaml) as flowcontrol.apiserver.k8s.io/v1beta3, which v1.32 removes",
		"SKEW803", "Helm release default/web (revision 1, chart web-0.3.0): its chart's kubeVersion \">=1.21.0-0 <1.32.0-0\" excludes v1.32",
		"SKEW811", "FlowSchema legacy-batch was last applied as flowcontrol.apiserver.k8s.io/v1beta3, which v1.32 removes",
		"SKEW821", filepath.Join(dir, "flow.yaml") + " (document 2) uses PriorityLevelConfiguration low as flowcontrol.apiserver.k8s.io/v1beta3",
		"CronJob nightly as batch/v1beta1, removed in v1.25 already",
		"REMOVED APIS: scanned 2 Helm releases",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q\n%s", want, r)
		}
	}
	if strings.Contains(r.stdout, "extensions/v1beta1") {
		t.Errorf("the superseded revision was read\n%s", r)
	}

	j := skew(t, "check", "--target", "v1.33", "-o", "json")
	var rep struct {
		Findings []struct{ ID, Severity, Subject string }
		APIs     struct {
			Releases int
			Hops     []string
		}
	}
	if err := json.Unmarshal([]byte(j.stdout), &rep); err != nil || j.code != 3 {
		t.Fatalf("-o json: %v\n%s", err, j)
	}
	ids := map[string]string{}
	for _, f := range rep.Findings {
		ids[f.ID+" "+f.Subject] = f.Severity
	}
	for _, want := range []string{"SKEW801 helmrelease/monitoring/prom", "SKEW803 helmrelease/default/web", "SKEW811 flowschema/legacy-batch"} {
		if ids[want] != "error" {
			t.Errorf("-o json: no error %s in %v", want, ids)
		}
	}
	if rep.APIs.Releases != 2 || strings.Join(rep.APIs.Hops, ",") != "v1.31,v1.32,v1.33" {
		t.Errorf("-o json apis = %+v", rep.APIs)
	}

	near := skew(t, "check", "--target", "v1.31")
	if near.code != 0 || !strings.Contains(near.stdout, "SKEW802") || !strings.Contains(near.stdout, "deprecated since v1.29 and removed in v1.32") {
		t.Errorf("--target v1.31 should only warn:\n%s", near)
	}
	stdin := kubectlWithStdin(t, strings.NewReader("apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: psp}\n"), "skew", "check", "-f", "-", "--scan-apis=false")
	if stdin.code != 3 || !strings.Contains(stdin.stdout, "PodSecurityPolicy psp as policy/v1beta1, removed in v1.25 already") || strings.Contains(stdin.stdout, "Helm release") {
		t.Errorf("check -f - without a target judges the cluster as it is:\n%s", stdin)
	}
	missing := skew(t, "check", "--target", "v1.33", "-f", filepath.Join(dir, "nope.yaml"))
	if missing.code != 1 || !strings.Contains(missing.stderr, "nope.yaml: no such file or directory") {
		t.Errorf("a missing -f file: %s", missing)
	}
}

// TestPlanAndUpgradeNameRemovedAPIs: plan puts each finding in the hop that removes
// the API; the upgrade's deprecated-apis preflight check names the release, warns,
// and with --strict refuses before anything is written.
func TestPlanAndUpgradeNameRemovedAPIs(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	removedAPIWorld(t)
	p := skew(t, "plan", "--channel", "stable", "--channel-server", k3sChannels())
	if p.code != 0 {
		t.Fatalf("plan: %s", p)
	}
	for _, want := range []string{"REMOVED APIS AT HOP 2 (v1.32.11+k3s3)", "SKEW801", "Helm release monitoring/prom (revision 3", "excludes v1.32.11+k3s3"} {
		if !strings.Contains(p.stdout, want) {
			t.Errorf("plan lacks %q\n%s", want, p)
		}
	}
	if strings.Contains(p.stdout, "REMOVED APIS AT HOP 1") {
		t.Errorf("plan put a v1.32 removal in hop 1\n%s", p)
	}

	before := clusterVersions(t)
	dry := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--dry-run")
	if out := dry.stdout + dry.stderr; dry.code != 0 || !strings.Contains(out, "Helm release monitoring/prom (revision 3") || !strings.Contains(out, "deprecated-apis") {
		t.Errorf("upgrade --dry-run does not name the release in its deprecated-apis check:\n%s", dry)
	}
	strict := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--strict", "--yes")
	if strict.code == 0 || !strings.Contains(strict.stdout+strict.stderr, "monitoring/prom") {
		t.Errorf("upgrade --strict should refuse, naming the release:\n%s", strict)
	}
	if after := clusterVersions(t); after != before {
		t.Errorf("a refused upgrade changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
}
