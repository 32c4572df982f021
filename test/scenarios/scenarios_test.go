package scenarios

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func expand(t *testing.T, name string) *Objects {
	t.Helper()
	s, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Expand(time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestEveryScenarioExpands(t *testing.T) {
	want := map[string]int{
		"k3s-healthy-ha": 8, "k3s-skewed": 8, "rke2-etcd": 6, "rke2-mixed": 8, "kubeadm": 6, "rancher-k3s": 5, "k3s-5000": 5000, "k3s-traefik-v2": 3, "k3s-hazards": 3,
	}
	names := Names()
	if len(names) != len(want) {
		t.Errorf("scenarios = %v, want %d of them", names, len(want))
	}
	for _, name := range names {
		o := expand(t, name)
		if n, ok := want[name]; ok && len(o.Nodes) != n {
			t.Errorf("%s: %d nodes, want %d", name, len(o.Nodes), n)
		}
		seen := map[string]bool{}
		for _, n := range o.Nodes {
			if seen[n.Name] {
				t.Errorf("%s: node %s twice", name, n.Name)
			}
			seen[n.Name] = true
			if n.Labels[LabelHostname] == "" || n.Status.NodeInfo.KubeletVersion == "" {
				t.Errorf("%s: node %s lacks hostname label or kubelet version", name, n.Name)
			}
		}
		for _, p := range o.Pods {
			if !seen[p.Spec.NodeName] || strings.Contains(p.Spec.Containers[0].Image, "${") {
				t.Errorf("%s: pod %s: node %q image %q", name, p.Name, p.Spec.NodeName, p.Spec.Containers[0].Image)
			}
		}
	}
}

func TestRolesAndVersionsAreWrittenAsTheDistroDoes(t *testing.T) {
	nodes := map[string]corev1.Node{}
	for _, n := range expand(t, "rke2-etcd").Nodes {
		nodes[n.Name] = n
	}
	etcd := nodes["rke2-etcd-1.lab.example"]
	if _, cp := etcd.Labels[LabelControlPlane]; cp || etcd.Labels[LabelEtcd] != "true" || etcd.Labels[LabelHostname] != "rke2-etcd-1" {
		t.Errorf("etcd-only server labels: %v", etcd.Labels)
	}
	if !strings.HasPrefix(etcd.Annotations["rke2.io/node-args"], `["server",`) {
		t.Errorf("etcd-only node-args: %q", etcd.Annotations["rke2.io/node-args"])
	}
	//lint:ignore SA1019 the scenarios fill the deprecated field as real kubelets before v1.31 do
	if got := nodes["rke2-agent-3.lab.example"].Status.NodeInfo; got.KubeletVersion != "v1.30.14+rke2r2" || got.KubeProxyVersion != "v1.30.14+rke2r2" {
		//lint:ignore SA1019 as above
		t.Errorf("agent-3: kubelet %q kube-proxy %q (a v1.30 kubelet reports its own version)", got.KubeletVersion, got.KubeProxyVersion)
	}
	//lint:ignore SA1019 the scenarios fill the deprecated field as real kubelets before v1.31 do
	if got := nodes["rke2-agent-1.lab.example"].Status.NodeInfo.KubeProxyVersion; got != "" {
		t.Errorf("agent-1: a v1.31 kubelet reports no kube-proxy version, got %q", got)
	}

	var apiserver *corev1.Pod
	objs := expand(t, "kubeadm")
	for i, p := range objs.Pods {
		if p.Name == "kube-apiserver-kubeadm-cp-3" {
			apiserver = &objs.Pods[i]
		}
	}
	if apiserver == nil || apiserver.Spec.Containers[0].Image != "registry.k8s.io/kube-apiserver:v1.32.0" || apiserver.Labels["component"] != "kube-apiserver" {
		t.Fatalf("kubeadm-cp-3 apiserver pod: %+v", apiserver)
	}
	for _, n := range objs.Nodes {
		if v, ok := n.Labels[LabelControlPlane]; strings.HasPrefix(n.Name, "kubeadm-cp") && (!ok || v != "") {
			t.Errorf("%s: kubeadm control-plane label %q %v", n.Name, v, ok)
		}
	}

	big := expand(t, "k3s-5000")
	notReady := 0
	for _, n := range big.Nodes {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status != corev1.ConditionTrue {
				notReady++
			}
		}
	}
	if notReady != 4997/200 {
		t.Errorf("k3s-5000: %d NotReady, want %d", notReady, 4997/200)
	}
}

func TestParseRejectsBadScenarios(t *testing.T) {
	for _, doc := range []string{
		"nodes: [{name: a, role: boss, distro: k3s, kubelet: v1.30.0+k3s1}]",
		"nodes: [{name: a, role: agent, distro: k3s}]",
		"nodes: [{name: a, count: 3, role: agent, distro: k3s, kubelet: v1.30.0+k3s1}]",
		"nodes: [{name: a, role: agent, distro: eks, kubelet: v1.30.0}]",
		"nodes: [{name: a, role: agent, distro: k3s, kubelet: v1.30.0+k3s1, typo: 1}]",
		"objects: [{metadata: {name: x}}]",
	} {
		if _, err := Parse("bad", []byte(doc)); err == nil {
			t.Errorf("Parse(%q) accepted it", doc)
		}
	}
}
