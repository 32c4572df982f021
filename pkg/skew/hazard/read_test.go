package hazard

import (
	"context"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func TestReadSkipsForbiddenAndNamesMalformedArgs(t *testing.T) {
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "helm-install-traefik", Namespace: "kube-system"},
		Status: batchv1.JobStatus{Failed: 3}}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{Kind: "Node", Name: "a"}, Reason: "CgroupV1"}
	kube := fake.NewSimpleClientset(job, ev)
	kube.PrependReactor("list", "ingresses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "networking.k8s.io", Resource: "ingresses"}, "", nil)
	})
	dyn := dynfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		planGVR: "PlanList", helmChartGVR: "HelmChartList", helmConfigGVR: "HelmChartConfigList",
	})
	nodes := []corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "a", Annotations: map[string]string{"k3s.io/node-args": "not json"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b", Annotations: map[string]string{"rke2.io/node-args": `["agent"]`}}},
	}
	f := Read(context.Background(), Clients{Kube: kube, Dynamic: dyn}, nodes,
		[]Fact{FactNodes, FactNodeEvents, FactHelmInstall, FactIngresses, FactPlans, FactHelmCharts})
	if !strings.Contains(f.Skipped[FactIngresses], "forbidden") {
		t.Errorf("forbidden ingresses must be skipped: %v", f.Skipped)
	}
	if f.Nodes[0].ArgsError == "" || f.Nodes[1].ArgsError != "" || !f.Nodes[1].HasArgs {
		t.Errorf("node-args: %+v", f.Nodes)
	}
	if f.Nodes[0].CgroupV1Warnings != 1 {
		t.Errorf("CgroupV1 event not counted: %+v", f.Nodes[0])
	}
	if len(f.FailedHelmJobs) != 1 {
		t.Errorf("failed helm-install Job not found: %+v", f.FailedHelmJobs)
	}
	for _, need := range []Fact{FactPlans, FactHelmCharts, FactHelmInstall} {
		if !f.Read[need] || f.Skipped[need] != "" {
			t.Errorf("%s: read=%v skipped=%q", need, f.Read[need], f.Skipped[need])
		}
	}
	if f.Read[FactWorkloads] {
		t.Error("workloads were not needed and must not be listed")
	}
}
