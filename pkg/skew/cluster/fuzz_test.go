package cluster_test

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// FuzzBuild feeds what a cluster reports (kubelet versions, role labels, node-args
// annotations, static pod images) through Build and the policy: whatever a node says,
// the inventory is built, every rule runs, and nothing panics.
func FuzzBuild(f *testing.F) {
	f.Add("v1.32.5+k3s1", "true", `["server","--cluster-init"]`, "registry.k8s.io/kube-apiserver:v1.29.7")
	f.Add("banana", "", `[`, "rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815")
	f.Add("", "false", `[""]`, "kube-proxy")
	f.Fuzz(func(t *testing.T, kubelet, roleValue, nodeArgs, image string) {
		nodes := []corev1.Node{{
			ObjectMeta: metav1.ObjectMeta{
				Name:        "n1",
				Labels:      map[string]string{cluster.LabelControlPlane: roleValue},
				Annotations: map[string]string{cluster.AnnotationK3sArgs: nodeArgs, cluster.AnnotationRKEArgs: nodeArgs},
			},
			Status: corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: kubelet}},
		}, {
			ObjectMeta: metav1.ObjectMeta{Name: "n2", Annotations: map[string]string{cluster.AnnotationK3sArgs: nodeArgs}},
			Status:     corev1.NodeStatus{NodeInfo: corev1.NodeSystemInfo{KubeletVersion: kubelet}},
		}}
		pods := []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-n1", Labels: map[string]string{"component": "kube-apiserver"}},
				Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "kube-apiserver", Image: image}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy-x", Labels: map[string]string{"k8s-app": "kube-proxy"}},
				Spec: corev1.PodSpec{NodeName: "n2", Containers: []corev1.Container{{Name: "kube-proxy", Image: image}}}},
		}
		inv := cluster.Build(cluster.Objects{Nodes: nodes, Pods: pods, ServerVersion: kubelet})
		if len(inv.Nodes) != 2 {
			t.Fatalf("every node is in the inventory, got %d", len(inv.Nodes))
		}
		for _, n := range inv.Nodes {
			if (n.Kubelet == nil) == (n.KubeletError == "") {
				t.Fatalf("a node has either a parsed kubelet or an error: %+v", n)
			}
		}
		if target, err := version.ParseTarget(kubelet); err == nil {
			policy.Evaluate(inv, policy.Options{Target: &target})
		}
		for _, f := range policy.Evaluate(inv, policy.Options{}) {
			if f.ID == "" || f.Fix == "" {
				t.Fatalf("incomplete finding %+v", f)
			}
		}
	})
}
