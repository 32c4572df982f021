package cluster

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SlimNode keeps of a node only what Build reads, for a cache that holds every node
// for as long as a watch runs: the name, labels, the K3s/RKE2 node-args annotations,
// the cordon, the versions of status.nodeInfo and the Ready condition's status. The
// images list, managed fields and the other conditions (most of a node's bytes) go,
// and so do the heartbeat times, so a kubelet's heartbeat changes nothing the cache
// holds. Build of slim nodes equals Build of the nodes, but for Node.Heartbeat.
func SlimNode(n *corev1.Node) *corev1.Node {
	out := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: n.Name, UID: n.UID, ResourceVersion: n.ResourceVersion, Labels: n.Labels,
		},
		Spec: corev1.NodeSpec{Unschedulable: n.Spec.Unschedulable},
	}
	for _, key := range []string{AnnotationK3sArgs, AnnotationRKEArgs} {
		if v, ok := n.Annotations[key]; ok {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[key] = v
		}
	}
	info := n.Status.NodeInfo
	out.Status.NodeInfo = corev1.NodeSystemInfo{
		KubeletVersion:          info.KubeletVersion,
		ContainerRuntimeVersion: info.ContainerRuntimeVersion,
		OperatingSystem:         info.OperatingSystem,
		Architecture:            info.Architecture,
		OSImage:                 info.OSImage,
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Status.Conditions = []corev1.NodeCondition{{Type: c.Type, Status: c.Status}}
		}
	}
	return out
}

// SlimPod keeps of a kube-system pod only what Build reads: for a pod that carries a
// version (a static control-plane pod, kube-proxy) its name, the labels that name the
// component, its node, creation and deletion times, its containers' names and images
// and the Ready condition's status; of any other pod only its name.
func SlimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion,
	}}
	if componentOf(p) == "" {
		return out
	}
	for _, key := range []string{"component", "k8s-app"} {
		if v, ok := p.Labels[key]; ok {
			if out.Labels == nil {
				out.Labels = map[string]string{}
			}
			out.Labels[key] = v
		}
	}
	out.CreationTimestamp, out.DeletionTimestamp = p.CreationTimestamp, p.DeletionTimestamp
	out.Spec.NodeName = p.Spec.NodeName
	out.Spec.Containers = make([]corev1.Container, len(p.Spec.Containers))
	for i, c := range p.Spec.Containers {
		out.Spec.Containers[i] = corev1.Container{Name: c.Name, Image: c.Image}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			out.Status.Conditions = []corev1.PodCondition{{Type: c.Type, Status: c.Status}}
		}
	}
	return out
}
