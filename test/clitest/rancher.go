package clitest

import (
	"testing"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	fakediscovery "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// The Rancher fixtures below have the shapes test/ranchersim writes on a real
// apiserver (which follow rancher/rancher), built here as plain objects.

// RancherNode is one Machine of a provisioned cluster or one management Node of an
// imported one.
type RancherNode struct {
	Name string
	// Roles: "etcd", "control-plane", "worker".
	Roles []string
	// Kubelet is the kubelet version; "" is the cluster's spec version.
	Kubelet  string
	NotReady bool
}

// RancherSnapshot is one rke.cattle.io ETCDSnapshot of a provisioned cluster.
type RancherSnapshot struct {
	Name, Node string
	CreatedAt  time.Time
	// Version is the Cluster's kubernetesVersion in the snapshot's metadata ("": none).
	Version string
}

// Provisioned is a cluster Rancher provisioned (provisioning v2): its provisioning
// Cluster, RKEControlPlane, CAPI Machines and ETCDSnapshots.
type Provisioned struct {
	Namespace, Name string
	// Version is spec.kubernetesVersion; Applied the control plane's
	// status.appliedSpec.kubernetesVersion ("" is Version).
	Version, Applied string
	// Ready is the control plane's Ready condition: status ("" is True), reason, message.
	Ready, ReadyReason, ReadyMessage string
	Machines                         []RancherNode
	Annotations                      map[string]string
	Snapshots                        []RancherSnapshot
}

// Objects are the cluster's objects on the management cluster.
func (p Provisioned) Objects(t testing.TB) []runtime.Object {
	t.Helper()
	applied := p.Applied
	if applied == "" {
		applied = p.Version
	}
	ready := p.Ready
	if ready == "" {
		ready = "True"
	}
	cl := object("provisioning.cattle.io/v1", "Cluster", p.Namespace, p.Name, nil)
	cl.SetAnnotations(p.Annotations)
	cl.SetResourceVersion("1001")
	cl.Object["spec"] = map[string]any{"kubernetesVersion": p.Version, "rkeConfig": map[string]any{
		"upgradeStrategy": map[string]any{"controlPlaneConcurrency": "1", "workerConcurrency": "1"},
	}}
	cl.Object["status"] = map[string]any{"clusterName": "c-m-" + p.Name, "ready": ready == "True",
		"conditions": conditions("True", "", "", "Ready", "Updated", "Provisioned")}
	cp := object("rke.cattle.io/v1", "RKEControlPlane", p.Namespace, p.Name, nil)
	cp.Object["spec"] = map[string]any{"kubernetesVersion": p.Version}
	cp.Object["status"] = map[string]any{"appliedSpec": map[string]any{"kubernetesVersion": applied},
		"conditions": append(conditions(ready, p.ReadyReason, p.ReadyMessage, "Ready"), conditions(ready, "", "", "Stable", "Reconciled")...)}
	out := []runtime.Object{cl, cp}
	for _, m := range p.Machines {
		labels := map[string]string{rancher.LabelMachineCluster: p.Name}
		for _, r := range m.Roles {
			switch r {
			case "etcd":
				labels[rancher.LabelEtcdRole] = "true"
			case "control-plane":
				labels[rancher.LabelControlPlane] = "true"
			case "worker":
				labels[rancher.LabelWorkerRole] = "true"
			}
		}
		kubelet := m.Kubelet
		if kubelet == "" {
			kubelet = p.Version
		}
		phase := "Running"
		if m.NotReady {
			phase = "Provisioning"
		}
		mo := object("cluster.x-k8s.io/v1beta1", "Machine", p.Namespace, m.Name, labels)
		mo.Object["spec"] = map[string]any{"clusterName": p.Name}
		mo.Object["status"] = map[string]any{"phase": phase, "nodeRef": map[string]any{"name": m.Name}, "nodeInfo": map[string]any{"kubeletVersion": kubelet}}
		out = append(out, mo)
	}
	for _, s := range p.Snapshots {
		out = append(out, s.Object(t, p.Namespace, p.Name))
	}
	return out
}

// Object is the ETCDSnapshot of cluster namespace/name, its Cluster spec in its
// metadata as Rancher stores it.
func (s RancherSnapshot) Object(t testing.TB, namespace, cluster string) *unstructured.Unstructured {
	t.Helper()
	meta := ""
	if s.Version != "" {
		var err error
		if meta, err = rancher.SnapshotMetadata(map[string]any{"kubernetesVersion": s.Version}); err != nil {
			t.Fatal(err)
		}
	}
	so := object("rke.cattle.io/v1", "ETCDSnapshot", namespace, s.Name, map[string]string{rancher.LabelSnapshotCluster: cluster})
	so.Object["spec"] = map[string]any{"clusterName": cluster}
	so.Object["snapshotFile"] = map[string]any{"name": s.Name, "nodeName": s.Node, "location": "file:///var/lib/rancher/rke2/server/db/snapshots/" + s.Name,
		"metadata": meta, "createdAt": s.CreatedAt.UTC().Format(time.RFC3339), "size": int64(4 << 20), "status": "successful"}
	return so
}

// Imported is a K3s or RKE2 cluster imported into Rancher: its management Cluster
// (c-m-…) and management Nodes.
type Imported struct {
	Name, DisplayName string
	// Driver is k3s or rke2.
	Driver string
	// Version is spec.<driver>Config.kubernetesVersion; StatusVersion is
	// status.version.gitVersion ("" is Version).
	Version, StatusVersion string
	// Upgraded is the Upgraded condition ("" is True) and its message.
	Upgraded, UpgradedMessage string
	Nodes                     []RancherNode
	// Strategy nil is what Rancher writes first: 1 and 1, no drains.
	Strategy     *rancher.Strategy
	Annotations  map[string]string
	NoManagedSUC bool
}

// Objects are the cluster's objects on the management cluster.
func (im Imported) Objects() []runtime.Object {
	status := im.StatusVersion
	if status == "" {
		status = im.Version
	}
	upgraded := im.Upgraded
	if upgraded == "" {
		upgraded = "True"
	}
	strategy := rancher.Strategy{ServerConcurrency: 1, WorkerConcurrency: 1}
	if im.Strategy != nil {
		strategy = *im.Strategy
	}
	cl := object("management.cattle.io/v3", "Cluster", "", im.Name, nil)
	cl.SetAnnotations(im.Annotations)
	cl.SetResourceVersion("2002")
	cl.Object["spec"] = map[string]any{"displayName": im.DisplayName,
		im.Driver + "Config": map[string]any{"kubernetesVersion": im.Version, im.Driver + "upgradeStrategy": map[string]any{
			"serverConcurrency": strategy.ServerConcurrency, "workerConcurrency": strategy.WorkerConcurrency,
			"drainServerNodes": strategy.DrainServerNodes, "drainWorkerNodes": strategy.DrainWorkerNodes}}}
	cl.Object["status"] = map[string]any{"driver": im.Driver, "version": map[string]any{"gitVersion": status},
		"agentFeatures": map[string]any{rancher.FeatureManagedSUC: !im.NoManagedSUC},
		"conditions":    append(conditions("True", "", "", "Ready"), conditions(upgraded, "", im.UpgradedMessage, rancher.ConditionUpgraded)...)}
	out := []runtime.Object{cl}
	for _, n := range im.Nodes {
		spec := map[string]any{}
		for _, r := range n.Roles {
			switch r {
			case "control-plane":
				spec["controlPlane"] = true
			case "etcd":
				spec["etcd"] = true
			case "worker":
				spec["worker"] = true
			}
		}
		kubelet := n.Kubelet
		if kubelet == "" {
			kubelet = im.Version
		}
		ready := "True"
		if n.NotReady {
			ready = "False"
		}
		// Rancher names a Node m-xxxxx; status.nodeName is the downstream node.
		no := object("management.cattle.io/v3", "Node", im.Name, "m-"+n.Name, nil)
		no.Object["spec"] = spec
		no.Object["status"] = map[string]any{"nodeName": n.Name, "nodeLabels": map[string]any{corev1.LabelOSStable: "linux", corev1.LabelHostname: n.Name},
			"internalNodeStatus": map[string]any{"nodeInfo": map[string]any{"kubeletVersion": kubelet, "operatingSystem": "linux"},
				"conditions": []any{map[string]any{"type": "Ready", "status": ready}}}}
		out = append(out, no)
	}
	return out
}

// RancherSettings are management.cattle.io Settings, name to value.
func RancherSettings(settings map[string]string) []runtime.Object {
	var out []runtime.Object
	for name, value := range settings {
		s := object("management.cattle.io/v3", "Setting", "", name, nil)
		s.Object["value"] = value
		out = append(out, s)
	}
	return out
}

func object(apiVersion, kind, namespace, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	u.SetNamespace(namespace)
	u.SetName(name)
	u.SetLabels(labels)
	return u
}

func conditions(status, reason, message string, types ...string) []any {
	out := make([]any, 0, len(types))
	for _, t := range types {
		out = append(out, map[string]any{"type": t, "status": status, "reason": reason, "message": message, "lastUpdateTime": "2025-06-01T10:00:00Z"})
	}
	return out
}

// Management is a Rancher management cluster (Rancher's local cluster) on fake
// clients: discovery serves Rancher's and CAPI's resources, and every access review
// is allowed unless Deny says otherwise.
type Management struct {
	Kube   *fake.Clientset
	Dyn    *dynamicfake.FakeDynamicClient
	denied map[string]bool
}

// ManagementResources are the resources a Rancher management cluster serves, as the
// fake's discovery lists them.
var ManagementResources = []*metav1.APIResourceList{
	{GroupVersion: "provisioning.cattle.io/v1", APIResources: []metav1.APIResource{{Name: "clusters", Namespaced: true, Kind: "Cluster"}}},
	{GroupVersion: "rke.cattle.io/v1", APIResources: []metav1.APIResource{
		{Name: "rkecontrolplanes", Namespaced: true, Kind: "RKEControlPlane"}, {Name: "etcdsnapshots", Namespaced: true, Kind: "ETCDSnapshot"}}},
	{GroupVersion: "cluster.x-k8s.io/v1beta1", APIResources: []metav1.APIResource{{Name: "machines", Namespaced: true, Kind: "Machine"}}},
	{GroupVersion: "management.cattle.io/v3", APIResources: []metav1.APIResource{
		{Name: "clusters", Kind: "Cluster"}, {Name: "nodes", Namespaced: true, Kind: "Node"}, {Name: "settings", Kind: "Setting"}}},
}

// NewManagement builds the management cluster holding objs (the fixtures' Objects).
func NewManagement(t testing.TB, objs ...runtime.Object) *Management {
	t.Helper()
	m := &Management{Kube: fake.NewSimpleClientset(), denied: map[string]bool{}}
	m.Kube.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		attrs := r.Spec.ResourceAttributes
		r.Status.Allowed = attrs == nil || !m.denied[attrs.Verb+" "+attrs.Resource+"."+attrs.Group]
		return true, r, nil
	})
	m.Kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = ManagementResources
	m.Dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		rancher.ClusterResource: "ClusterList", rancher.ControlPlaneResource: "RKEControlPlaneList", rancher.SnapshotResource: "ETCDSnapshotList",
		rancher.MachineResource: "MachineList", rancher.SettingResource: "SettingList",
		rancher.ManagementClusterResource: "ClusterList", rancher.ManagementNodeResource: "NodeList",
	}, objs...)
	return m
}

// Deny makes the access review of one permission ("patch clusters.provisioning.cattle.io") answer no.
func (m *Management) Deny(permission string) { m.denied[permission] = true }

// Run executes the root command with the management cluster as the current context.
func (m *Management) Run(t testing.TB, args ...string) Result {
	t.Helper()
	return RunEnv(t, func(env *cmdutil.Env) {
		env.Clients = func() (*cmdutil.Clients, error) {
			return &cmdutil.Clients{Kube: m.Kube, Dynamic: m.Dyn, Discovery: m.Kube.Discovery(), Server: "https://rancher.test:6443"}, nil
		}
	}, args...)
}

// Writes lists every request that changed something (access reviews aside), as
// "verb resource".
func (m *Management) Writes() []string {
	var out []string
	for _, a := range writeActions(append(m.Kube.Actions(), m.Dyn.Actions()...)) {
		out = append(out, a.GetVerb()+" "+a.GetResource().Resource)
	}
	return out
}

// Patch is one patch request: what it patched and its body.
type Patch struct {
	Resource, Namespace, Name string
	Type                      string
	Body                      string
}

// Patches are the patch requests of the dynamic client, in order.
func (m *Management) Patches() []Patch {
	var out []Patch
	for _, a := range m.Dyn.Actions() {
		if pa, ok := a.(k8stesting.PatchAction); ok {
			out = append(out, Patch{Resource: pa.GetResource().GroupResource().String(), Namespace: pa.GetNamespace(), Name: pa.GetName(),
				Type: string(pa.GetPatchType()), Body: string(pa.GetPatch())})
		}
	}
	return out
}

// Get reads one object back from the management cluster.
func (m *Management) Get(t testing.TB, gvr schema.GroupVersionResource, namespace, name string) *unstructured.Unstructured {
	t.Helper()
	o, err := m.Dyn.Resource(gvr).Namespace(namespace).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// Rancher211 are the version settings of a Rancher v2.11 management cluster.
func Rancher211() []runtime.Object {
	return RancherSettings(map[string]string{
		"server-version": "v2.11.3", "ui-k8s-supported-versions-range": ">= 1.30.0-0 < 1.34.0-0",
		"rke2-default-version": "v1.32.9+rke2r1", "k3s-default-version": "v1.32.9+k3s1",
	})
}

// ProdEast is an RKE2 cluster Rancher provisioned, fleet-default/prod-east, idle on
// v1.31.13+rke2r1: three etcd and control-plane machines and two workers, and an
// etcd snapshot of each etcd machine taken on v1.30.14+rke2r2 before the last hop,
// the one the last kubectl skew upgrade recorded.
func ProdEast() Provisioned {
	const v = "v1.31.13+rke2r1"
	taken := T0.Add(-24 * time.Hour)
	p := Provisioned{Namespace: "fleet-default", Name: "prod-east", Version: v,
		Annotations: map[string]string{
			rancher.AnnotationSnapshot: "prod-east-etcd-snapshot-prod-east-cp-1-1748685600-local", rancher.AnnotationSnapshotFrom: "v1.30.14+rke2r2",
			rancher.AnnotationUpgradeTarget: v,
		}}
	for _, n := range []string{"prod-east-cp-1", "prod-east-cp-2", "prod-east-cp-3"} {
		p.Machines = append(p.Machines, RancherNode{Name: n, Roles: []string{"etcd", "control-plane"}})
		p.Snapshots = append(p.Snapshots, RancherSnapshot{Name: "prod-east-etcd-snapshot-" + n + "-1748685600-local", Node: n, CreatedAt: taken, Version: "v1.30.14+rke2r2"})
	}
	for _, n := range []string{"prod-east-worker-1", "prod-east-worker-2"} {
		p.Machines = append(p.Machines, RancherNode{Name: n, Roles: []string{"worker"}})
	}
	return p
}

// EdgeK3s is a K3s cluster imported into Rancher, c-m-abc12345 shown as edge-k3s,
// idle on v1.31.13+k3s1: one server and two agents, Rancher's managed
// system-upgrade-controller on.
func EdgeK3s() Imported {
	return Imported{Name: "c-m-abc12345", DisplayName: "edge-k3s", Driver: rancher.DriverK3s, Version: "v1.31.13+k3s1",
		Nodes: []RancherNode{
			{Name: "edge-server-1", Roles: []string{"control-plane", "etcd"}},
			{Name: "edge-agent-1", Roles: []string{"worker"}}, {Name: "edge-agent-2", Roles: []string{"worker"}},
		}}
}

// ProdEastMoving is ProdEast in the hop to v1.32.9+rke2r1 of an upgrade to
// v1.33.5+rke2r1: the snapshot of that hop taken on v1.31.13+rke2r1 and recorded,
// prod-east-cp-1 moved, and Rancher configuring prod-east-cp-2.
func ProdEastMoving() Provisioned {
	p := ProdEast()
	taken := T0.Add(-10 * time.Minute)
	p.Version, p.Applied = "v1.32.9+rke2r1", "v1.31.13+rke2r1"
	p.Ready, p.ReadyReason, p.ReadyMessage = "Unknown", "Waiting", "configuring control plane node(s) prod-east-cp-2: waiting for plan to be applied"
	p.Annotations = map[string]string{
		rancher.AnnotationSnapshot: "prod-east-etcd-snapshot-prod-east-cp-1-1748771400-local", rancher.AnnotationSnapshotFrom: "v1.31.13+rke2r1",
		rancher.AnnotationUpgradeTarget: "v1.33.5+rke2r1",
	}
	for _, n := range []string{"prod-east-cp-1", "prod-east-cp-2", "prod-east-cp-3"} {
		p.Snapshots = append(p.Snapshots, RancherSnapshot{Name: "prod-east-etcd-snapshot-" + n + "-1748771400-local", Node: n, CreatedAt: taken, Version: "v1.31.13+rke2r1"})
	}
	for i := range p.Machines {
		p.Machines[i].Kubelet = "v1.31.13+rke2r1"
	}
	p.Machines[0].Kubelet = p.Version
	return p
}

// EdgeK3sMoving is EdgeK3s in the hop to v1.32.9+k3s1 a kubectl skew upgrade set:
// its server moved (so Rancher, which reads the downstream apiserver's version,
// reports v1.32.9+k3s1), Rancher upgrading edge-agent-1.
func EdgeK3sMoving() Imported {
	im := EdgeK3s()
	im.Version = "v1.32.9+k3s1"
	im.Upgraded, im.UpgradedMessage = "Unknown", "worker node [edge-agent-1] being upgraded"
	for i := range im.Nodes {
		im.Nodes[i].Kubelet = "v1.31.13+k3s1"
	}
	im.Nodes[0].Kubelet = im.Version
	return im
}
