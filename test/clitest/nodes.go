package clitest

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// NodeSpec is one node of a fake cluster.
type NodeSpec struct {
	Name, Kubelet string
	Labels        map[string]string
	NotReady      bool
	Cordoned      bool
}

// Server is a K3s/RKE2 server: control plane, etcd and master role labels.
func Server(name, kubelet string) NodeSpec {
	return NodeSpec{Name: name, Kubelet: kubelet, Labels: map[string]string{
		"node-role.kubernetes.io/control-plane": "true", "node-role.kubernetes.io/etcd": "true", "node-role.kubernetes.io/master": "true"}}
}

// EtcdOnly is a server with the etcd role only.
func EtcdOnly(name, kubelet string) NodeSpec {
	return NodeSpec{Name: name, Kubelet: kubelet, Labels: map[string]string{"node-role.kubernetes.io/etcd": "true"}}
}

// KubeadmCP is a kubeadm control-plane node.
func KubeadmCP(name, kubelet string) NodeSpec {
	return NodeSpec{Name: name, Kubelet: kubelet, Labels: map[string]string{"node-role.kubernetes.io/control-plane": ""}}
}

// Agent is a node without a role label.
func Agent(name, kubelet string) NodeSpec { return NodeSpec{Name: name, Kubelet: kubelet} }

// Object is the Node: Ready unless NotReady, linux/amd64, containerd.
func (s NodeSpec) Object() *corev1.Node {
	labels := map[string]string{"kubernetes.io/hostname": s.Name, "kubernetes.io/os": "linux"}
	for k, v := range s.Labels {
		labels[k] = v
	}
	ready := corev1.ConditionTrue
	if s.NotReady {
		ready = corev1.ConditionFalse
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Labels: labels},
		Spec:       corev1.NodeSpec{Unschedulable: s.Cordoned},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}},
			NodeInfo: corev1.NodeSystemInfo{
				KubeletVersion: s.Kubelet, OperatingSystem: "linux", Architecture: "amd64",
				ContainerRuntimeVersion: "containerd://1.7.27", OSImage: "Ubuntu 24.04 LTS",
			},
		},
	}
}

// StaticPod is a control-plane static pod (kubeadm, RKE2) of component on node.
func StaticPod(component, node, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: component + "-" + node, Namespace: "kube-system",
			Labels: map[string]string{"component": component, "tier": "control-plane"},
		},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: component, Image: image}}},
	}
}

// KubeProxyPod is a kube-proxy DaemonSet pod on node.
func KubeProxyPod(node, image string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "kube-proxy-" + node, Namespace: "kube-system",
			Labels: map[string]string{"k8s-app": "kube-proxy"},
		},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "kube-proxy", Image: image}}},
	}
}

// Objects are the nodes' objects, then extra.
func Objects(nodes []NodeSpec, extra ...runtime.Object) []runtime.Object {
	var out []runtime.Object
	for _, n := range nodes {
		out = append(out, n.Object())
	}
	return append(out, extra...)
}

// K3sCluster is servers k3s-server-N and agents k3s-agent-N, all on kubelet.
func K3sCluster(kubelet string, servers, agents int) Cluster {
	var nodes []NodeSpec
	for i := 1; i <= servers; i++ {
		nodes = append(nodes, Server("k3s-server-"+strconv.Itoa(i), kubelet))
	}
	for i := 1; i <= agents; i++ {
		nodes = append(nodes, Agent("k3s-agent-"+strconv.Itoa(i), kubelet))
	}
	return Cluster{Objects: Objects(nodes), ServerVersion: "v1.32.2"}
}

// K3sHA is three servers s-1..s-3 and two agents a-1, a-2 on v1.30.14+k3s1.
func K3sHA() []NodeSpec {
	return []NodeSpec{
		Server("s-1", "v1.30.14+k3s1"), Server("s-2", "v1.30.14+k3s1"), Server("s-3", "v1.30.14+k3s1"),
		Agent("a-1", "v1.30.14+k3s1"), Agent("a-2", "v1.30.14+k3s1"),
	}
}
