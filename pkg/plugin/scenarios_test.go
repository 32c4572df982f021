package plugin

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

// Builders for the clusters the command tests run against.

type nodeSpec struct {
	name, kubelet string
	labels        map[string]string
	notReady      bool
	cordoned      bool
}

func server(name, kubelet string) nodeSpec {
	return nodeSpec{name: name, kubelet: kubelet, labels: map[string]string{
		"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/etcd": "true", "node-role.kubernetes.io/master": "true"}}
}

func etcdOnly(name, kubelet string) nodeSpec {
	return nodeSpec{name: name, kubelet: kubelet, labels: map[string]string{"node-role.kubernetes.io/etcd": "true"}}
}

func kubeadmCP(name, kubelet string) nodeSpec {
	return nodeSpec{name: name, kubelet: kubelet, labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}}
}

func agent(name, kubelet string) nodeSpec { return nodeSpec{name: name, kubelet: kubelet} }

func (s nodeSpec) object() *corev1.Node {
	labels := map[string]string{"kubernetes.io/hostname": s.name, "kubernetes.io/os": "linux"}
	for k, v := range s.labels {
		labels[k] = v
	}
	ready := corev1.ConditionTrue
	if s.notReady {
		ready = corev1.ConditionFalse
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Labels: labels},
		Spec:       corev1.NodeSpec{Unschedulable: s.cordoned},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: s.kubelet, OperatingSystem: "linux", Architecture: "amd64",
				ContainerRuntimeVersion: "containerd://1.7.27", OSImage: "Ubuntu 24.04 LTS",
			},
		},
	}
}

func staticPod(component, node, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: component + "-" + node, Namespace: "kube-system",
			Labels: map[string]string{"component": component, "tier": "control-plane"},
		},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: component, Image: image}}},
	}
}

func kubeProxyPod(node, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kube-proxy-" + node, Namespace: "kube-system",
			Labels: map[string]string{"k8s-app": "kube-proxy"},
		},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "kube-proxy", Image: image}}},
	}
}

func objects(nodes []nodeSpec, extra ...runtime.Object) []runtime.Object {
	var out []runtime.Object
	for _, n := range nodes {
		out = append(out, n.object())
	}
	return append(out, extra...)
}

var checkScenarios = []struct {
	name    string
	cluster fakeCluster
	code    int
}{
	{"k3s-healthy-ha", fakeCluster{
		objects: objects([]nodeSpec{
			server("server-1", "v1.32.5+k3s1"), server("server-2", "v1.32.5+k3s1"), server("server-3", "v1.32.5+k3s1"),
			agent("agent-1", "v1.32.5+k3s1"), agent("agent-2", "v1.32.5+k3s1"), agent("agent-3", "v1.31.9+k3s1"),
		}),
		serverVersion: "v1.32.5+k3s1", kubectl: "v1.32.4",
	}, cmdutil.ExitOK},
	{"rke2-agent-four-behind", fakeCluster{
		objects: objects([]nodeSpec{
			server("server-1", "v1.30.4+rke2r1"), etcdOnly("etcd-1", "v1.30.4+rke2r1"),
			agent("agent-1", "v1.30.4+rke2r1"), agent("agent-2", "v1.26.15+rke2r1"),
		},
			staticPod("kube-apiserver", "server-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			staticPod("kube-controller-manager", "server-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			staticPod("kube-scheduler", "server-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			staticPod("kube-proxy", "agent-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			staticPod("kube-proxy", "agent-2", "index.docker.io/rancher/hardened-kubernetes:v1.26.15-rke2r1-build20240514"),
		),
		serverVersion: "v1.30.4+rke2r1", kubectl: "v1.30.2",
	}, cmdutil.ExitFindings},
	{"kubeadm-static-pods", fakeCluster{
		objects: objects([]nodeSpec{
			kubeadmCP("cp-1", "v1.29.7"), agent("worker-1", "v1.29.7"), agent("worker-2", "v1.27.16"),
		},
			staticPod("kube-apiserver", "cp-1", "registry.k8s.io/kube-apiserver:v1.29.7"),
			staticPod("kube-controller-manager", "cp-1", "registry.k8s.io/kube-controller-manager:v1.28.12"),
			staticPod("kube-scheduler", "cp-1", "registry.k8s.io/kube-scheduler:v1.29.7"),
			kubeProxyPod("cp-1", "registry.k8s.io/kube-proxy:v1.29.7"),
			kubeProxyPod("worker-1", "registry.k8s.io/kube-proxy:v1.29.7"),
			kubeProxyPod("worker-2", "registry.k8s.io/kube-proxy:v1.29.7"),
		),
		serverVersion: "v1.29.7", kubectl: "v1.32.4",
	}, cmdutil.ExitOK},
	{"eks-versions", fakeCluster{
		objects: objects([]nodeSpec{
			agent("ip-10-0-1-10.ec2.internal", "v1.25.9-eks-0a21954"),
			agent("ip-10-0-1-11.ec2.internal", "v1.24.13-eks-0a21954"),
			agent("ip-10-0-1-12.ec2.internal", "v1.22.17-eks-0a21954"),
		}),
		serverVersion: "v1.25.16-eks-3025e55", kubectl: "",
	}, cmdutil.ExitFindings},
	{"k3s-servers-mid-upgrade", fakeCluster{
		objects: objects([]nodeSpec{
			server("server-1", "v1.31.9+k3s1"), server("server-2", "v1.30.13+k3s1"), server("server-3", "v1.30.13+k3s1"),
			agent("agent-1", "v1.30.13+k3s1"), {name: "agent-2", kubelet: "v1.31.9+k3s1", cordoned: true},
		}),
		serverVersion: "v1.31.9+k3s1", kubectl: "v1.31.0",
	}, cmdutil.ExitFindings},
	{"empty-cluster", fakeCluster{serverVersion: "v1.32.2"}, cmdutil.ExitOK},
	{"garbage-versions", fakeCluster{
		objects: objects([]nodeSpec{
			server("server-1", "v1.32.5+k3s1"), agent("agent-1", "banana"), agent("agent-2", ""),
			{name: "agent-3", kubelet: "v1.32.x", notReady: true},
		}),
		serverVersion: "v1.32.2", kubectl: "not-a-version",
	}, cmdutil.ExitOK},
}
