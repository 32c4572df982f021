package plan_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// hazardCluster is K3s on v1.31 carrying facts for several hop hazards: an IngressRoute
// in traefik.containo.us (SKEW901 at the hop to v1.32), node-args passing flags removed
// in v1.32 and v1.33 (SKEW906), containerd 1.7 (SKEW907) and a failed helm-install Job
// (SKEW908, every hop).
func hazardCluster() clitest.Cluster {
	withArgs := func(s clitest.NodeSpec, args string) runtime.Object {
		n := s.Object()
		n.Annotations = map[string]string{"k3s.io/node-args": args}
		return n
	}
	failed := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "helm-install-traefik", Namespace: "kube-system"},
		Status: batchv1.JobStatus{Failed: 7, Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded"}}},
	}
	route := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "traefik.containo.us/v1alpha1", "kind": "IngressRoute",
		"metadata": map[string]any{"name": "app", "namespace": "web"},
		"spec":     map[string]any{"routes": []any{map[string]any{"match": "Host(`app.example.com`)"}}},
	}}
	ingressRoutes := schema.GroupVersionResource{Group: "traefik.containo.us", Version: "v1alpha1", Resource: "ingressroutes"}
	return clitest.Cluster{
		Objects: []runtime.Object{
			withArgs(clitest.Server("k3s-server-1", "v1.31.13+k3s1"), `["server","--kube-apiserver-arg","cloud-provider=external","--token","********"]`),
			withArgs(clitest.Agent("k3s-agent-1", "v1.31.13+k3s1"), `["agent","--kubelet-arg=runonce=false"]`),
			withArgs(clitest.Agent("k3s-agent-2", "v1.31.13+k3s1"), `["agent"]`),
			failed,
		},
		Custom: []runtime.Object{route},
		ListKinds: map[schema.GroupVersionResource]string{
			ingressRoutes: "IngressRouteList",
			{Group: "upgrade.cattle.io", Version: "v1", Resource: "plans"}:         "PlanList",
			{Group: "helm.cattle.io", Version: "v1", Resource: "helmcharts"}:       "HelmChartList",
			{Group: "helm.cattle.io", Version: "v1", Resource: "helmchartconfigs"}: "HelmChartConfigList",
		},
		Resources: []*metav1.APIResourceList{{GroupVersion: "traefik.containo.us/v1alpha1", APIResources: []metav1.APIResource{
			{Name: "ingressroutes", Kind: "IngressRoute", Namespaced: true, Verbs: metav1.Verbs{"get", "list", "watch"}},
		}}},
	}
}

// TestPlanHazardsGolden: plan lists the hop hazards under each hop (text), and carries
// their IDs per hop in JSON and YAML.
func TestPlanHazardsGolden(t *testing.T) {
	srv := clitest.StartChannelServer(t)
	for _, tc := range []struct{ name, out string }{{"k3s-hazards.txt", ""}, {"k3s-hazards-json.json", "json"}, {"k3s-hazards-yaml.yaml", "yaml"}} {
		args := []string{"plan", "--channel", "stable"}
		if tc.out != "" {
			args = append(args, "-o", tc.out)
		}
		r := clitest.Run(t, hazardCluster(), args...)
		if r.Code != cmdutil.ExitOK && r.Code != cmdutil.ExitFindings {
			t.Fatalf("%s: exit %d: %s", tc.name, r.Code, r.Stderr)
		}
		clitest.Golden(t, tc.name, srv.Scrub(r.Stdout))
		if tc.out != "json" {
			continue
		}
		var rep struct {
			Hops []struct {
				To      string
				Hazards []struct{ ID, Subject string }
			}
		}
		if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			"v1.32": {"SKEW901 ingressroute/web/app", "SKEW906 node/k3s-agent-1", "SKEW908 job/kube-system/helm-install-traefik"},
			"v1.33": {"SKEW906 node/k3s-server-1", "SKEW908 job/kube-system/helm-install-traefik"},
		}
		for _, h := range rep.Hops {
			var got []string
			for _, z := range h.Hazards {
				got = append(got, z.ID+" "+z.Subject)
			}
			for _, w := range want[h.To[:5]] {
				if !strings.Contains(strings.Join(got, "\n"), w) {
					t.Errorf("hop to %s lacks %s: %v", h.To, w, got)
				}
			}
			if h.To[:5] == "v1.33" && strings.Contains(strings.Join(got, " "), "SKEW901") {
				t.Errorf("SKEW901 belongs to the hop to v1.32 only: %v", got)
			}
		}
	}
}

// TestPlanBlockedByHazards: a blocking hazard stops plan as it stops the upgrade's
// preflight check (exit 3, the hop's BLOCKING cell, the way out in NEXT); acknowledged
// with --accept-hazard, it is still listed, marked accepted, and no longer blocks.
func TestPlanBlockedByHazards(t *testing.T) {
	clitest.StartChannelServer(t)
	r := clitest.Run(t, hazardCluster(), "plan", "--channel", "stable")
	if r.Code != cmdutil.ExitFindings {
		t.Fatalf("want exit %d for blocking hazards, got %d: %s", cmdutil.ExitFindings, r.Code, r.Stderr)
	}
	if !strings.Contains(r.Stdout, "--accept-hazard SKEW901 --accept-hazard SKEW906 --accept-hazard SKEW908") {
		t.Errorf("NEXT does not say how to acknowledge the hazards:\n%s", r.Stdout)
	}
	accepted := []string{"plan", "--channel", "stable", "-o", "json"}
	for _, id := range []string{"SKEW901", "SKEW906", "SKEW908"} {
		accepted = append(accepted, "--accept-hazard", id)
	}
	r = clitest.Run(t, hazardCluster(), accepted...)
	if r.Code != cmdutil.ExitOK {
		t.Fatalf("every hazard acknowledged: want exit 0, got %d: %s", r.Code, r.Stderr)
	}
	var rep struct {
		Summary struct{ Blocked bool }
		Hops    []struct {
			BlockingHazards []string
			Hazards         []struct{ ID, Message string }
		}
	}
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Blocked {
		t.Error("summary.blocked with every hazard acknowledged")
	}
	for i, h := range rep.Hops {
		if len(h.BlockingHazards) > 0 {
			t.Errorf("hop %d: blockingHazards %v with every hazard acknowledged", i+1, h.BlockingHazards)
		}
		for _, z := range h.Hazards {
			if e, _ := hazard.ByID(z.ID); e.Blocking && !strings.HasSuffix(z.Message, "(accepted)") {
				t.Errorf("hop %d: %s %q is not marked accepted", i+1, z.ID, z.Message)
			}
		}
	}
}
