package clitest

import (
	"encoding/json"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// SUCCluster is a K3s/RKE2 cluster with the system-upgrade-controller installed, on
// fake clients that allow every access review. Discovery serves upgrade.cattle.io/v1
// plans; Serve adds more.
type SUCCluster struct {
	Kube *fake.Clientset
	Dyn  *dynamicfake.FakeDynamicClient
}

// NewSUCCluster builds the cluster of nodes and extra objects, with the controller's
// Deployment (available) and ServiceAccount in its default namespace.
func NewSUCCluster(t testing.TB, nodes []NodeSpec, extra ...runtime.Object) *SUCCluster {
	t.Helper()
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: suc.DefaultDeployment, Namespace: suc.DefaultNamespace}}
	dep.Status.AvailableReplicas = 1
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: suc.DefaultServiceAccount, Namespace: suc.DefaultNamespace}}
	kube := fake.NewSimpleClientset(Objects(nodes, append([]runtime.Object{dep, sa}, extra...)...)...)
	kube.PrependReactor("create", "selfsubjectaccessreviews", AllowAccessReviews)
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{
		{GroupVersion: "upgrade.cattle.io/v1", APIResources: []metav1.APIResource{{Name: "plans"}}},
	}
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		suc.PlanResource: "PlanList", etcdsnapshot.Resource: "ETCDSnapshotFileList",
	})
	// The fake tracker has no server-side apply: stand in for it with create or
	// replace, which is what apply does to an object that has one field manager.
	dyn.PrependReactor("patch", "plans", func(a k8stesting.Action) (bool, runtime.Object, error) {
		pa := a.(k8stesting.PatchAction)
		if pa.GetPatchType() != types.ApplyPatchType {
			return false, nil, nil
		}
		u := &unstructured.Unstructured{}
		if err := json.Unmarshal(pa.GetPatch(), &u.Object); err != nil {
			return true, nil, err
		}
		if patchDryRun(a) {
			return true, u, nil
		}
		gvr := suc.PlanResource
		if _, err := dyn.Tracker().Get(gvr, pa.GetNamespace(), pa.GetName()); err != nil {
			return true, u, dyn.Tracker().Create(gvr, u, pa.GetNamespace())
		}
		return true, u, dyn.Tracker().Update(gvr, u, pa.GetNamespace())
	})
	return &SUCCluster{Kube: kube, Dyn: dyn}
}

// AllowAccessReviews is a reactor that allows every SelfSubjectAccessReview.
func AllowAccessReviews(a k8stesting.Action) (bool, runtime.Object, error) {
	r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
	r.Status.Allowed = true
	return true, r, nil
}

func patchDryRun(a k8stesting.Action) bool {
	if o, ok := a.(k8stesting.PatchActionImpl); ok {
		return len(o.PatchOptions.DryRun) > 0
	}
	return false
}

// Serve makes discovery serve resources of groupVersion too.
func (c *SUCCluster) Serve(groupVersion string, resources ...string) {
	d := c.Kube.Discovery().(*fakediscovery.FakeDiscovery)
	l := &metav1.APIResourceList{GroupVersion: groupVersion}
	for _, r := range resources {
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: r})
	}
	d.Resources = append(d.Resources, l)
}

// Add puts custom objects (Plans, ETCDSnapshotFiles) into the dynamic client.
func (c *SUCCluster) Add(t testing.TB, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, o := range objs {
		if err := c.Dyn.Tracker().Add(o); err != nil {
			t.Fatal(err)
		}
	}
}

// Run executes the root command against the cluster.
func (c *SUCCluster) Run(t testing.TB, args ...string) Result {
	t.Helper()
	return RunEnv(t, func(env *cmdutil.Env) {
		env.Clients = func() (*cmdutil.Clients, error) {
			return &cmdutil.Clients{Kube: c.Kube, Dynamic: c.Dyn, Discovery: c.Kube.Discovery(), Server: "https://fake:6443"}, nil
		}
	}, args...)
}

// Writes lists every request that changed something (access reviews aside), as
// "verb resource".
func (c *SUCCluster) Writes() []string {
	var out []string
	for _, a := range c.WriteActions() {
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
	}
	return out
}

// WriteActions are the actions behind Writes, to look into.
func (c *SUCCluster) WriteActions() []k8stesting.Action {
	return writeActions(append(c.Kube.Actions(), c.Dyn.Actions()...))
}

func writeActions(actions []k8stesting.Action) []k8stesting.Action {
	var out []k8stesting.Action
	for _, a := range actions {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		case "create":
			if a.GetResource().Resource == "selfsubjectaccessreviews" {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}
