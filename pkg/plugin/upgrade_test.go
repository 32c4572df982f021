package plugin

import (
	"context"
	"encoding/json"
	"strings"
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
	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// sucCluster is a K3s cluster with the system-upgrade-controller installed, on fake
// clients that allow every access review.
type sucCluster struct {
	kube *fake.Clientset
	dyn  *dynamicfake.FakeDynamicClient
}

func newSUCCluster(t *testing.T, nodes []nodeSpec, extra ...runtime.Object) *sucCluster {
	t.Helper()
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: suc.DefaultDeployment, Namespace: suc.DefaultNamespace}}
	dep.Status.AvailableReplicas = 1
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: suc.DefaultServiceAccount, Namespace: suc.DefaultNamespace}}
	kube := fake.NewSimpleClientset(objects(nodes, append([]runtime.Object{dep, sa}, extra...)...)...)
	kube.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		r.Status.Allowed = true
		return true, r, nil
	})
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
	return &sucCluster{kube: kube, dyn: dyn}
}

func patchDryRun(a k8stesting.Action) bool {
	if o, ok := a.(k8stesting.PatchActionImpl); ok {
		return len(o.PatchOptions.DryRun) > 0
	}
	return false
}

func (c *sucCluster) run(t *testing.T, args ...string) result {
	t.Helper()
	return runEnv(t, func(env *cmdutil.Env) {
		env.Clients = func() (*cmdutil.Clients, error) {
			return &cmdutil.Clients{Kube: c.kube, Dynamic: c.dyn, Discovery: c.kube.Discovery(), Server: "https://fake:6443"}, nil
		}
	}, args...)
}

// writes lists every request that changed something (access reviews aside).
func (c *sucCluster) writes() []string {
	var out []string
	for _, a := range append(c.kube.Actions(), c.dyn.Actions()...) {
		switch a.GetVerb() {
		case "get", "list", "watch":
			continue
		case "create":
			if a.GetResource().Resource == "selfsubjectaccessreviews" {
				continue
			}
		}
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
	}
	return out
}

func k3sHA() []nodeSpec {
	return []nodeSpec{
		server("s-1", "v1.30.14+k3s1"), server("s-2", "v1.30.14+k3s1"), server("s-3", "v1.30.14+k3s1"),
		agent("a-1", "v1.30.14+k3s1"), agent("a-2", "v1.30.14+k3s1"),
	}
}

func TestUpgradeDryRunPrintsPlansAndWritesNothing(t *testing.T) {
	startChannelServer(t)
	c := newSUCCluster(t, k3sHA())
	r := c.run(t, "upgrade", "--channel", "stable", "--dry-run=client")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	golden(t, "upgrade/dry-run-k3s.yaml", r.stdout)
	for _, want := range []string{"PREFLIGHT", "PLANS (hop 1 of 3, servers; namespace system-upgrade)", "kubectl-skew-server-v1.31.13-k3s1", "nothing was applied"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if w := c.writes(); len(w) != 0 {
		t.Errorf("a dry run wrote: %v", w)
	}
	// The whole hop, for GitOps: the server Plan and the agent Plan whose prepare
	// step names it, both annotated with the hop.
	var list struct {
		Items []struct {
			Metadata struct {
				Name        string
				Annotations map[string]string
			}
			Spec struct{ Prepare *struct{ Args []string } }
		}
	}
	if err := yaml.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Items) != 2 {
		t.Fatalf("stdout is not a List of the hop's two Plans: %v\n%s", err, r.stdout)
	}
	server, agent := list.Items[0], list.Items[1]
	if agent.Spec.Prepare == nil || strings.Join(agent.Spec.Prepare.Args, " ") != "prepare "+server.Metadata.Name {
		t.Errorf("the agent Plan's prepare step does not name the server Plan %s: %+v", server.Metadata.Name, agent.Spec.Prepare)
	}
	for _, it := range list.Items {
		if it.Metadata.Annotations[suc.AnnotationHop] != "hop 1 of 3" {
			t.Errorf("%s is not annotated with its hop: %v", it.Metadata.Name, it.Metadata.Annotations)
		}
	}
}

func TestUpgradeWithoutYesOffTerminalRefuses(t *testing.T) {
	startChannelServer(t)
	c := newSUCCluster(t, k3sHA())
	r := c.run(t, "upgrade")
	if r.code != 1 || !strings.Contains(r.stderr, "stdin is not a terminal; pass --yes") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if w := c.writes(); len(w) != 0 {
		t.Errorf("an unconfirmed upgrade wrote: %v", w)
	}
}

func TestUpgradeAppliesTheServersFirst(t *testing.T) {
	startChannelServer(t)
	c := newSUCCluster(t, k3sHA())
	r := c.run(t, "upgrade", "--yes")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"plan.upgrade.cattle.io/kubectl-skew-server-v1.31.13-k3s1 created",
		"NEXT: the controller upgrades the 3 servers of hop 1 of 3 (v1.31.13+k3s1) one by one", "to release the 2 agents"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	got, err := c.dyn.Resource(suc.PlanResource).Namespace(suc.DefaultNamespace).Get(context.Background(), "kubectl-skew-server-v1.31.13-k3s1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetLabels()[suc.LabelManagedBy] != suc.ManagedBy {
		t.Errorf("labels %v", got.GetLabels())
	}
	// The same command again converges: the Plan is there, nothing to write, no question.
	before := len(c.writes())
	again := c.run(t, "upgrade")
	if again.code != 0 || !strings.Contains(again.stdout, "unchanged") {
		t.Fatalf("second run: exit %d\n%s\n%s", again.code, again.stdout, again.stderr)
	}
	if w := c.writes(); len(w) != before {
		t.Errorf("the second run wrote: %v", w[before:])
	}
}

func TestUpgradeRefusesAPlanThatIsNotOurs(t *testing.T) {
	startChannelServer(t)
	c := newSUCCluster(t, k3sHA())
	foreign := map[string]any{"apiVersion": "upgrade.cattle.io/v1", "kind": "Plan",
		"metadata": map[string]any{"name": "kubectl-skew-server-v1.31.13-k3s1", "namespace": "system-upgrade"},
		"spec":     map[string]any{"concurrency": int64(1), "upgrade": map[string]any{"image": "x"}}}
	if err := c.dyn.Tracker().Add(unstructuredOf(foreign)); err != nil {
		t.Fatal(err)
	}
	r := c.run(t, "upgrade", "--yes")
	if r.code != 1 || !strings.Contains(r.stderr, "not created by kubectl-skew") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := c.writes(); len(w) != 0 {
		t.Errorf("wrote over a Plan that is not ours: %v", w)
	}
}

func TestUpgradeRefusals(t *testing.T) {
	startChannelServer(t)
	rancher := k3sHA()
	rancher[0].labels["rke.cattle.io/machine"] = "m"
	for _, c := range []struct {
		name  string
		nodes []nodeSpec
		code  int
		want  string
	}{
		{"Rancher", rancher, 1, "preflight failed (rancher)"},
		{"skew only", []nodeSpec{server("s-1", "v1.30.14+k3s1"), agent("new", "v1.31.13+k3s1")}, 3, "because of skew findings"},
		{"not K3s", []nodeSpec{kubeadmCP("cp", "v1.31.4"), agent("w", "v1.31.4")}, 1, "preflight failed (distro)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := newSUCCluster(t, c.nodes)
			r := sc.run(t, "upgrade", "--yes")
			if r.code != c.code || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stdout, "REFUSED") {
				t.Fatalf("exit %d, want %d with %q\n%s\n%s", r.code, c.code, c.want, r.stdout, r.stderr)
			}
			if w := sc.writes(); len(w) != 0 {
				t.Errorf("a refused upgrade wrote: %v", w)
			}
		})
	}
}

func TestUpgradeNothingToDo(t *testing.T) {
	startChannelServer(t)
	c := newSUCCluster(t, []nodeSpec{server("s-1", "v1.33.5+k3s1"), agent("a-1", "v1.33.5+k3s1")})
	r := c.run(t, "upgrade", "--yes", "--wait")
	if r.code != 0 || !strings.Contains(r.stdout, "Nothing to do: every node runs v1.33.5+k3s1") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if w := c.writes(); len(w) != 0 {
		t.Errorf("wrote: %v", w)
	}
}

func TestUpgradeBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--server-concurrency", "0"}, "must be at least 1"},
		{[]string{"--agent-concurrency", "-1"}, "must be at least 1"},
		{[]string{"--dry-run=maybe"}, `--dry-run "maybe": use client or server`},
		{[]string{"--dry-run", "--wait"}, "--wait follows an upgrade that is applied"},
		{[]string{"-o", "yaml", "--snapshot"}, "--snapshot takes a snapshot through a Job"},
		{[]string{"--channel", "stable", "--version", "v1.33.5+k3s1"}, "give --channel or --version, not both"},
		{[]string{"--upgrade-image", "mirror/k3s-upgrade:v1"}, "without a tag"},
		{[]string{"--agents", "some"}, "use each or final"},
		{[]string{"-o", "table"}, "unknown output format"},
	} {
		r := run(t, fakeCluster{}, append([]string{"upgrade"}, c.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

func TestStatus(t *testing.T) {
	startChannelServer(t)
	c := newSUCCluster(t, k3sHA())
	none := c.run(t, "status")
	if none.code != 0 || !strings.Contains(none.stdout, "No upgrade") {
		t.Fatalf("exit %d\n%s\n%s", none.code, none.stdout, none.stderr)
	}
	if r := c.run(t, "upgrade", "--yes"); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	r := c.run(t, "status", "-o", "json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var rep struct {
		Kind    string
		Summary struct {
			State, Target, Phase string
			Hop, Hops, Pending   int
		}
		Nodes []struct{ Name, State string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Summary
	if rep.Kind != "StatusReport" || s.State != "in-progress" || s.Target != "v1.33.5+k3s1" || s.Hop != 1 || s.Hops != 3 || s.Phase != "servers" || s.Pending != 1 || len(rep.Nodes) != 1 { // one server at a time
		t.Errorf("%+v", rep)
	}
}

func unstructuredOf(obj map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: obj}
}
