package upgrade

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// fakeWorld is a cluster for the preflight checks, built on fake clients.
type fakeWorld struct {
	nodes       []corev1.Node
	kube        []runtime.Object
	dynamic     []runtime.Object
	served      []string // group versions the discovery serves
	deny        map[string]bool
	metrics     string
	metricsErr  error
	noMetrics   bool
	noSUC       bool
	unavailable bool
}

func newWorld(specs ...string) *fakeWorld {
	w := &fakeWorld{served: []string{"upgrade.cattle.io/v1"}, deny: map[string]bool{}}
	for _, s := range specs {
		f := strings.Fields(s)
		n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: f[1], Labels: map[string]string{cluster.LabelHostname: f[1]}}}
		switch f[0] {
		case "server":
			n.Labels[cluster.LabelControlPlane], n.Labels[cluster.LabelEtcd] = "true", "true"
		case "etcd":
			n.Labels[cluster.LabelEtcd] = "true"
		}
		n.Status.NodeInfo.KubeletVersion = f[2]
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
		w.nodes = append(w.nodes, n)
	}
	return w
}

func healthyK3s() *fakeWorld {
	return newWorld(nodesOf(uniform("server", "s", 3, "v1.30.14+k3s1"), uniform("agent", "a", 2, "v1.30.14+k3s1"))...)
}

func (w *fakeWorld) suc() []runtime.Object {
	if w.noSUC {
		return nil
	}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: DefaultDeployment, Namespace: DefaultNamespace}}
	dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "rancher/system-upgrade-controller:v0.20.1"}}
	if !w.unavailable {
		dep.Status.AvailableReplicas = 1
		dep.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: DefaultServiceAccount, Namespace: DefaultNamespace}}
	return []runtime.Object{dep, sa}
}

func (w *fakeWorld) clients(t *testing.T) (*fake.Clientset, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	objs := append(w.suc(), w.kube...)
	for i := range w.nodes {
		objs = append(objs, &w.nodes[i])
	}
	kube := fake.NewSimpleClientset(objs...)
	kube.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		ra := r.Spec.ResourceAttributes
		r.Status.Allowed = !w.deny[ra.Verb+" "+ra.Resource]
		return true, r, nil
	})
	fd := kube.Discovery().(*fakediscovery.FakeDiscovery)
	for _, gv := range w.served {
		res := "plans"
		if strings.HasPrefix(gv, "k3s.cattle.io") {
			res = "etcdsnapshotfiles"
		}
		fd.Resources = append(fd.Resources, &metav1.APIResourceList{GroupVersion: gv, APIResources: []metav1.APIResource{{Name: res}}})
	}
	scheme := runtime.NewScheme()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, map[schema.GroupVersionResource]string{
		PlanResource: "PlanList", SnapshotResource: "ETCDSnapshotFileList",
	}, w.dynamic...)
	return kube, dyn
}

func (w *fakeWorld) run(t *testing.T, tune func(*PreflightInput)) *Preflight {
	t.Helper()
	kube, dyn := w.clients(t)
	inv := cluster.Build(cluster.Objects{Nodes: w.nodes})
	in := PreflightInput{
		Kube: kube, Dynamic: dyn, Discovery: kube.Discovery(),
		Namespace: DefaultNamespace, Deployment: DefaultDeployment, ServiceAccount: DefaultServiceAccount,
		Nodes: w.nodes, Inventory: inv, SnapshotMaxAge: DefaultSnapshotMaxAge, Now: testNow,
	}
	if inv.Distro == "k3s" || inv.Distro == "rke2" {
		path, err := PlanPath(Request{Inventory: inv, Channel: "stable", Channels: channelsFixture(t, string(inv.Distro))})
		if err != nil {
			t.Fatal(err)
		}
		in.Path = path
	}
	if !w.noMetrics {
		in.Metrics = func(context.Context) ([]byte, error) { return []byte(w.metrics), w.metricsErr }
	}
	if tune != nil {
		tune(&in)
	}
	return RunPreflight(context.Background(), in)
}

func plan(name string, ours bool, sel *metav1.LabelSelector) *unstructured.Unstructured {
	p := &upgradev1.Plan{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: DefaultNamespace, Labels: map[string]string{}}}
	if ours {
		p.Labels[LabelManagedBy], p.Labels[LabelRole] = ManagedBy, RoleServer
	}
	p.Spec = upgradev1.PlanSpec{Concurrency: 1, Version: "v1.31.13+k3s1", NodeSelector: sel, Upgrade: &upgradev1.ContainerSpec{Image: "rancher/k3s-upgrade"}}
	u, err := ToUnstructured(p)
	if err != nil {
		panic(err)
	}
	return u
}

func snapshotFile(name, node string, created time.Time, ready bool) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "k3s.cattle.io/v1", "kind": "ETCDSnapshotFile",
		"metadata": map[string]any{"name": name + "-" + node},
		"spec":     map[string]any{"snapshotName": name, "nodeName": node, "location": "file:///var/lib/rancher/k3s/server/db/snapshots/" + name},
		"status":   map[string]any{"readyToUse": ready, "creationTime": created.Format(time.RFC3339)},
	}}
	return u
}

func failedJob(name, planName, node, msg string) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: DefaultNamespace, Labels: map[string]string{
		LabelManagedBy: ManagedBy, sucLabelPlan: planName, sucLabelNode: node, sucLabelVersion: "v1.31.13-k3s1"}}}
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: msg}}
	return j
}

const deprecatedMetrics = `# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1
process_start_time_seconds 1.7956908e+09
`

func TestPreflight(t *testing.T) {
	cases := []struct {
		name      string
		fakeWorld func() *fakeWorld
		tune      func(*PreflightInput)
		// want maps check names to their result and a piece of their message.
		want map[string][2]string
	}{
		{"healthy K3s", healthyK3s, nil, map[string][2]string{
			CheckDistro: {"pass", "K3s, servers on v1.30.14+k3s1"}, CheckPlanCRD: {"pass", "served"}, CheckController: {"pass", "v0.20.1"},
			CheckServiceAccount: {"pass", ""}, CheckPermissions: {"pass", ""}, CheckRancher: {"pass", ""}, CheckForeignPlans: {"pass", ""},
			CheckFailedJobs: {"pass", ""}, CheckNodes: {"pass", ""}, CheckSkew: {"pass", ""},
			CheckSnapshot: {"warn", "does not serve"}, CheckDeprecated: {"pass", "no API that v1.31 to v1.33 removes"},
		}},
		{"not K3s", func() *fakeWorld { return newWorld("server cp v1.31.4", "agent w v1.31.4") }, nil, map[string][2]string{
			CheckDistro: {"fail", "v1.31.4: not a K3s or RKE2 release"}, CheckPlanCRD: {"skipped", ""}, CheckDeprecated: {"skipped", ""},
		}},
		{"SUC missing", func() *fakeWorld {
			w := healthyK3s()
			w.noSUC, w.served = true, nil
			return w
		}, nil, map[string][2]string{
			CheckPlanCRD:        {"fail", "not installed"},
			CheckController:     {"fail", "not found"},
			CheckServiceAccount: {"fail", "not found"},
			CheckForeignPlans:   {"skipped", ""},
		}},
		{"controller not available", func() *fakeWorld { w := healthyK3s(); w.unavailable = true; return w }, nil, map[string][2]string{
			CheckController: {"fail", "no available replica"},
		}},
		{"missing permissions", func() *fakeWorld {
			w := healthyK3s()
			w.deny["create plans"], w.deny["watch nodes"] = true, true
			return w
		}, nil, map[string][2]string{
			CheckPermissions: {"fail", "missing: create plans.upgrade.cattle.io in namespace system-upgrade; watch nodes cluster-wide"},
		}},
		{"Rancher-provisioned", func() *fakeWorld {
			w := healthyK3s()
			w.nodes[0].Labels["rke.cattle.io/machine"] = "x"
			w.kube = append(w.kube, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "cattle-cluster-agent", Namespace: "cattle-system"}})
			return w
		}, nil, map[string][2]string{
			CheckRancher: {"fail", "has label rke.cattle.io/machine (provisioned by Rancher); deployment cattle-system/cattle-cluster-agent runs"},
		}},
		{"Rancher-imported, overridden", func() *fakeWorld {
			w := healthyK3s()
			w.nodes[3].Labels["upgrade.cattle.io/kubernetes-upgrade"] = "true"
			u := plan("k3s-master-plan", false, &metav1.LabelSelector{})
			u.SetNamespace("cattle-system")
			w.dynamic = append(w.dynamic, u)
			return w
		}, func(in *PreflightInput) { in.AllowRancher = true }, map[string][2]string{
			CheckRancher: {"warn", "Plans in cattle-system: k3s-master-plan; going on because of --allow-rancher"},
		}},
		{"foreign Plan selects our nodes", func() *fakeWorld {
			w := healthyK3s()
			w.dynamic = append(w.dynamic, plan("k3s-server", false, &metav1.LabelSelector{MatchLabels: map[string]string{cluster.LabelControlPlane: "true"}}),
				plan("os-patch", false, nil), // no selector: selects nothing
				plan("kubectl-skew-server-v1.31.13-k3s1", true, &metav1.LabelSelector{}))
			return w
		}, nil, map[string][2]string{
			CheckForeignPlans: {"fail", "k3s-server (selects s-1, s-2, s-3); 1 Plan of ours from an earlier run (kubectl-skew-server-v1.31.13-k3s1) will be resumed"},
		}},
		{"foreign Plan, nodes opted out", func() *fakeWorld {
			w := healthyK3s()
			for i := range w.nodes {
				w.nodes[i].Labels[SUCNodePlanLabelPrefix+"everything"] = "disabled"
			}
			w.dynamic = append(w.dynamic, plan("everything", false, &metav1.LabelSelector{}))
			return w
		}, nil, map[string][2]string{CheckForeignPlans: {"pass", ""}}},
		{"failed Job of ours", func() *fakeWorld {
			w := healthyK3s()
			w.dynamic = append(w.dynamic, plan("kubectl-skew-agent-v1.31.13-k3s1", true, &metav1.LabelSelector{}))
			w.kube = append(w.kube, failedJob("apply-x", "kubectl-skew-agent-v1.31.13-k3s1", "a-1", "disk full"))
			return w
		}, nil, map[string][2]string{CheckFailedJobs: {"fail", "Job apply-x on node a-1: BackoffLimitExceeded: disk full"}}},
		{"failed Job, --retry-failed", func() *fakeWorld {
			w := healthyK3s()
			w.dynamic = append(w.dynamic, plan("kubectl-skew-agent-v1.31.13-k3s1", true, &metav1.LabelSelector{}))
			w.kube = append(w.kube, failedJob("apply-x", "kubectl-skew-agent-v1.31.13-k3s1", "a-1", "disk full"))
			w.deny["delete jobs"] = true
			return w
		}, func(in *PreflightInput) { in.RetryFailed = true }, map[string][2]string{
			CheckFailedJobs:  {"warn", "--retry-failed deletes them"},
			CheckPermissions: {"fail", "delete jobs.batch"},
		}},
		{"NotReady and cordoned", func() *fakeWorld {
			w := healthyK3s()
			w.nodes[3].Status.Conditions[0].Status = corev1.ConditionFalse
			w.nodes[4].Spec.Unschedulable = true
			return w
		}, nil, map[string][2]string{CheckNodes: {"warn", "NotReady: a-1 (an upgrade Job cannot run there; the Plan would hang); cordoned: a-2"}}},
		{"node name differs from hostname", func() *fakeWorld {
			w := healthyK3s()
			w.nodes[3].Labels[cluster.LabelHostname] = "short"
			return w
		}, nil, map[string][2]string{CheckNodes: {"fail", "a-1 (hostname short)"}}},
		{"no hostname label", func() *fakeWorld {
			w := healthyK3s()
			delete(w.nodes[4].Labels, cluster.LabelHostname)
			return w
		}, nil, map[string][2]string{CheckNodes: {"fail", "lack the label kubernetes.io/hostname"}}},
		{"skew error today, fixed by the first hop", func() *fakeWorld {
			return newWorld(nodesOf(uniform("server", "s", 1, "v1.30.14+k3s1"), []string{"agent old v1.26.15+k3s1"})...)
		}, nil, map[string][2]string{CheckSkew: {"pass", "errors today that hop 1 fixes by upgrading their nodes first: SKEW102 node/old"}}},
		{"skew error today the path leaves", func() *fakeWorld {
			return newWorld(nodesOf(uniform("server", "s", 1, "v1.30.14+k3s1"), []string{"agent new v1.31.13+k3s1"})...)
		}, nil, map[string][2]string{CheckSkew: {"fail", "now: SKEW101 node/new"}}},
		{"skew error, forced", func() *fakeWorld {
			return newWorld(nodesOf(uniform("server", "s", 1, "v1.30.14+k3s1"), []string{"agent new v1.31.13+k3s1"})...)
		}, func(in *PreflightInput) { in.Force = true }, map[string][2]string{CheckSkew: {"warn", "going on because of --force"}}},
		{"fresh snapshot", func() *fakeWorld {
			w := healthyK3s()
			w.served = append(w.served, "k3s.cattle.io/v1")
			w.dynamic = append(w.dynamic, snapshotFile("etcd-snapshot-s-1-1", "s-1", testNow.Add(-3*time.Hour), true),
				snapshotFile("broken", "s-2", testNow.Add(-time.Hour), false))
			return w
		}, nil, map[string][2]string{CheckSnapshot: {"pass", "newest ready snapshot etcd-snapshot-s-1-1 on s-1 is 3h old"}}},
		{"stale snapshot", func() *fakeWorld {
			w := healthyK3s()
			w.served = append(w.served, "k3s.cattle.io/v1")
			w.dynamic = append(w.dynamic, snapshotFile("old", "s-1", testNow.Add(-72*time.Hour), true))
			return w
		}, nil, map[string][2]string{CheckSnapshot: {"warn", "is 3d0h old (limit --snapshot-max-age 24h0m0s)"}}},
		{"--snapshot", func() *fakeWorld {
			w := healthyK3s()
			w.served = append(w.served, "k3s.cattle.io/v1")
			return w
		}, func(in *PreflightInput) {
			in.TakeSnapshot, in.SnapshotName, in.SnapshotNode = true, "kubectl-skew-pre-upgrade-v1.30.14-k3s1", "s-1"
		}, map[string][2]string{CheckSnapshot: {"pass", `--snapshot takes "kubectl-skew-pre-upgrade-v1.30.14-k3s1" on s-1 before the first server upgrade; no ready snapshot`}}},
		{"no etcd", func() *fakeWorld {
			return newWorld("etcdless s v1.30.14+k3s1")
		}, nil, nil},
		{"deprecated API removed on the way", func() *fakeWorld { w := healthyK3s(); w.metrics = deprecatedMetrics; return w }, nil, map[string][2]string{
			CheckDeprecated: {"warn", "flowschemas.v1beta3.flowcontrol.apiserver.k8s.io (removed in v1.32)"},
		}},
		{"deprecated API, --strict", func() *fakeWorld { w := healthyK3s(); w.metrics = deprecatedMetrics; return w },
			func(in *PreflightInput) { in.Strict = true }, map[string][2]string{CheckDeprecated: {"fail", "removed in v1.32"}}},
		{"metrics forbidden", func() *fakeWorld {
			w := healthyK3s()
			w.metricsErr = apierrors.NewForbidden(schema.GroupResource{}, "/metrics", errors.New("no"))
			return w
		}, nil, map[string][2]string{CheckDeprecated: {"skipped", "cannot read /metrics: forbidden"}}},
		{"metrics unreadable with this client", func() *fakeWorld { w := healthyK3s(); w.noMetrics = true; return w }, nil,
			map[string][2]string{CheckDeprecated: {"skipped", ""}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.fakeWorld()
			if c.name == "no etcd" {
				// A server with the control-plane label only: SQLite or an external datastore.
				w.nodes[0].Labels[cluster.LabelControlPlane] = "true"
				c.want = map[string][2]string{CheckSnapshot: {"skipped", "no node has the etcd role"}}
			}
			p := w.run(t, c.tune)
			if len(p.Checks) != 12 {
				t.Errorf("%d checks, want 12: %+v", len(p.Checks), p.Checks)
			}
			for name, want := range c.want {
				got, ok := p.Get(name)
				if !ok {
					t.Errorf("no check %s", name)
					continue
				}
				if string(got.Result) != want[0] || !strings.Contains(got.Message, want[1]) {
					t.Errorf("%s = %s %q, want %s containing %q", name, got.Result, got.Message, want[0], want[1])
				}
				if (got.Result == Fail || got.Result == Warn) && got.Fix == "" && name != CheckRancher && name != CheckSkew && name != CheckFailedJobs {
					t.Errorf("%s %s without a fix", name, got.Result)
				}
			}
		})
	}
}

// TestPreflightSkewOnlyExitsAsFindings: a refusal caused only by skew findings is
// told apart (exit code 3), any other failure is not.
func TestPreflightSkewOnlyExitsAsFindings(t *testing.T) {
	w := newWorld(nodesOf(uniform("server", "s", 1, "v1.30.14+k3s1"), []string{"agent new v1.31.13+k3s1"})...)
	if p := w.run(t, nil); !p.BlockedBySkew {
		t.Errorf("skew-only refusal not flagged: %+v", p.Failed())
	}
	w.noSUC = true
	if p := w.run(t, nil); p.BlockedBySkew {
		t.Errorf("a refusal with SUC missing flagged as skew-only")
	}
}

// TestPreflightWritesNothing: every request the checks make is a read (SSARs aside,
// which write nothing either).
func TestPreflightWritesNothing(t *testing.T) {
	w := healthyK3s()
	kube, dyn := w.clients(t)
	inv := cluster.Build(cluster.Objects{Nodes: w.nodes})
	path, err := PlanPath(Request{Inventory: inv, Channel: "stable", Channels: channelsFixture(t, "k3s")})
	if err != nil {
		t.Fatal(err)
	}
	RunPreflight(context.Background(), PreflightInput{Kube: kube, Dynamic: dyn, Discovery: kube.Discovery(),
		Namespace: DefaultNamespace, Deployment: DefaultDeployment, ServiceAccount: DefaultServiceAccount,
		Nodes: w.nodes, Inventory: inv, Path: path, Now: testNow})
	for _, a := range append(kube.Actions(), dyn.Actions()...) {
		switch a.GetVerb() {
		case "get", "list", "watch":
		case "create":
			if a.GetResource().Resource == "selfsubjectaccessreviews" {
				continue
			}
			fallthrough
		default:
			t.Errorf("preflight wrote: %s %s", a.GetVerb(), a.GetResource())
		}
	}
}
