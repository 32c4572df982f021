package cluster

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func mkNode(name, kubelet string, labels, annotations map[string]string) corev1.Node {
	return corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations},
		Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: kubelet}},
	}
}

func TestRoles(t *testing.T) {
	tests := []struct {
		name        string
		labels      map[string]string
		annotations map[string]string
		want        Role
	}{
		{"k3s server", map[string]string{LabelControlPlane: "true", LabelEtcd: "true"}, nil, RoleServer},
		{"kubeadm control plane (empty value)", map[string]string{LabelControlPlane: ""}, nil, RoleServer},
		{"etcd-only server", map[string]string{LabelEtcd: "true"}, nil, RoleEtcd},
		{"legacy master label alone is not read", map[string]string{"node-role.kubernetes.io/master": "true"}, nil, RoleAgent},
		{"explicit false", map[string]string{LabelControlPlane: "false"}, nil, RoleAgent},
		{"k3s node-args says server", nil, map[string]string{AnnotationK3sArgs: `["server","--cluster-init"]`}, RoleServer},
		{"rke2 node-args says agent", nil, map[string]string{AnnotationRKEArgs: `["agent"]`}, RoleAgent},
		{"broken node-args", nil, map[string]string{AnnotationK3sArgs: `server`}, RoleAgent},
		{"plain worker", map[string]string{"node-role.kubernetes.io/worker": "true"}, nil, RoleAgent},
	}
	for _, tt := range tests {
		n := mkNode("n", "v1.30.1+k3s1", tt.labels, tt.annotations)
		if got := RoleOf(&n); got != tt.want {
			t.Errorf("%s: role %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestBuildK3sEmbedsControlPlane(t *testing.T) {
	inv := Build(Objects{Nodes: []corev1.Node{
		mkNode("agent-1", "v1.29.4+k3s1", nil, nil),
		mkNode("server-1", "v1.30.1+k3s1", map[string]string{LabelControlPlane: "true"}, nil),
	}, ServerVersion: "v1.30.1+k3s1"})
	if inv.Distro != version.K3s {
		t.Fatalf("distro %s", inv.Distro)
	}
	if inv.Nodes[0].Name != "server-1" {
		t.Errorf("servers sort first: %v", inv.Nodes)
	}
	if len(inv.ControlPlane) != 1 || inv.ControlPlane[0].Components[APIServer].Version != "v1.30.1+k3s1" {
		t.Errorf("control plane %+v", inv.ControlPlane)
	}
	if a := inv.Nodes[1]; a.KubeProxySource != SourceEmbedded || a.KubeProxyVersion != "v1.29.4+k3s1" {
		t.Errorf("K3s kube-proxy is embedded in the agent: %+v", a)
	}
}

func TestBuildKubeadmReadsStaticPods(t *testing.T) {
	pod := func(name, component, node, image string, labels bool) corev1.Pod {
		p := corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"},
			Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: component, Image: image}}},
		}
		if labels {
			p.Labels = map[string]string{"component": component}
		}
		return p
	}
	inv := Build(Objects{
		Nodes: []corev1.Node{mkNode("cp-1", "v1.29.7", map[string]string{LabelControlPlane: ""}, nil), mkNode("w-1", "v1.29.7", nil, nil)},
		Pods: []corev1.Pod{
			pod("kube-apiserver-cp-1", "kube-apiserver", "cp-1", "registry.k8s.io/kube-apiserver:v1.29.7", true),
			pod("kube-scheduler-cp-1", "kube-scheduler", "cp-1", "registry.k8s.io/kube-scheduler:v1.28.3", false),
			pod("kube-proxy-abcde", "kube-proxy", "w-1", "registry.k8s.io/kube-proxy:v1.28.3", false),
			pod("coredns-1", "coredns", "w-1", "registry.k8s.io/coredns/coredns:v1.11.1", false),
		},
		ServerVersion: "v1.29.7",
	})
	cp := inv.ControlPlane[0].Components
	if cp[APIServer].Version != "v1.29.7" || cp[Scheduler].Version != "v1.28.3" || cp[Scheduler].Source != "pod/kube-scheduler-cp-1" {
		t.Errorf("components %+v", cp)
	}
	if _, ok := cp[ControllerManager]; ok {
		t.Error("a component without a pod must stay unknown, not be guessed")
	}
	if w := inv.Nodes[1]; w.KubeProxyVersion != "v1.28.3" {
		t.Errorf("kube-proxy %+v", w)
	}
}

func TestBuildFallsBackToServerVersion(t *testing.T) {
	inv := Build(Objects{Nodes: []corev1.Node{mkNode("w-1", "v1.25.9-eks-0a21954", nil, nil)}, ServerVersion: "v1.25.16-eks-3025e55"})
	if len(inv.ControlPlane) != 1 || inv.ControlPlane[0].Components[APIServer].Source != SourceVersion {
		t.Errorf("control plane %+v", inv.ControlPlane)
	}
}

// nodes5000 is a large mixed K3s cluster for benchmarks.
func nodes5000() []corev1.Node {
	nodes := make([]corev1.Node, 0, 5000)
	for i := 0; i < 3; i++ {
		nodes = append(nodes, mkNode(fmt.Sprintf("server-%d", i), "v1.30.4+k3s1", map[string]string{LabelControlPlane: "true", LabelEtcd: "true"}, nil))
	}
	versions := []string{"v1.30.4+k3s1", "v1.29.9+k3s1", "v1.28.13+k3s1", "v1.27.16+k3s1", "v1.26.15+k3s1"}
	for i := 3; i < 5000; i++ {
		nodes = append(nodes, mkNode(fmt.Sprintf("agent-%04d", i), versions[i%len(versions)], map[string]string{LabelHostname: fmt.Sprintf("agent-%04d", i)}, nil))
	}
	return nodes
}

func BenchmarkBuild5000(b *testing.B) {
	nodes := nodes5000()
	b.ReportAllocs()
	for b.Loop() {
		Build(Objects{Nodes: nodes, ServerVersion: "v1.30.4+k3s1"})
	}
}
