package policy

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// kubeadm builds a cluster whose control plane runs as static pods: one apiserver per
// entry of apiservers (on cp-N), and one agent per kubelet version.
func kubeadm(apiservers []string, kubelets ...string) *cluster.Inventory {
	inv := &cluster.Inventory{Distro: version.Other}
	for i, a := range apiservers {
		name := fmt.Sprintf("cp-%d", i+1)
		inv.Nodes = append(inv.Nodes, node(name, cluster.RoleServer, a))
		inv.ControlPlane = append(inv.ControlPlane, instance(name, a, a, a))
	}
	for i, k := range kubelets {
		inv.Nodes = append(inv.Nodes, node(fmt.Sprintf("worker-%d", i+1), cluster.RoleAgent, k))
	}
	return inv
}

func node(name string, role cluster.Role, kubelet string) cluster.Node {
	n := cluster.Node{Name: name, Role: role, KubeletVersion: kubelet, Ready: true}
	if v, err := version.Parse(kubelet); err == nil {
		n.Kubelet, n.Distro = &v, v.Distro
	} else {
		n.KubeletError = err.Error()
	}
	return n
}

func instance(node, apiserver, kcm, scheduler string) cluster.Instance {
	in := cluster.Instance{Node: node, Components: map[cluster.Component]cluster.ComponentVersion{}}
	for c, v := range map[cluster.Component]string{cluster.APIServer: apiserver, cluster.ControllerManager: kcm, cluster.Scheduler: scheduler} {
		if v == "" {
			continue
		}
		cv := cluster.ComponentVersion{Version: v, Source: "pod/" + string(c) + "-" + node}
		if p, err := version.Parse(v); err == nil {
			cv.Parsed = &p
		} else {
			cv.Error = err.Error()
		}
		in.Components[c] = cv
	}
	return in
}

func withProxy(inv *cluster.Inventory, nodeName, proxy string) *cluster.Inventory {
	for i := range inv.Nodes {
		if inv.Nodes[i].Name == nodeName {
			v := version.MustParse(proxy)
			inv.Nodes[i].KubeProxyVersion, inv.Nodes[i].KubeProxy, inv.Nodes[i].KubeProxySource = proxy, &v, "pod/kube-proxy-x"
		}
	}
	return inv
}

// ids lists "ID subject" for every finding, sorted, for compact assertions.
func ids(fs []Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.ID+" "+f.Subject)
	}
	sort.Strings(out)
	return out
}

func TestRules(t *testing.T) {
	tests := []struct {
		name   string
		inv    *cluster.Inventory
		target string
		want   []string
	}{
		{"all on one version", kubeadm([]string{"v1.30.2"}, "v1.30.2", "v1.30.0"), "", nil},
		// kubelet >= 1.25 may trail by 3
		{"kubelet exactly 3 behind", kubeadm([]string{"v1.30.2"}, "v1.27.9"), "", []string{"SKEW103 node/worker-1"}},
		{"kubelet 4 behind", kubeadm([]string{"v1.30.2"}, "v1.26.9"), "", []string{"SKEW102 node/worker-1"}},
		{"kubelet 2 behind, next minor still fine", kubeadm([]string{"v1.30.2"}, "v1.28.0"), "", nil},
		// kubelet < 1.25 may trail by 2
		{"kubelet 1.24 two behind 1.26", kubeadm([]string{"v1.26.0"}, "v1.24.17"), "", []string{"SKEW103 node/worker-1"}},
		{"kubelet 1.24 three behind 1.27", kubeadm([]string{"v1.27.0"}, "v1.24.17"), "", []string{"SKEW102 node/worker-1"}},
		{"kubelet 1.25 three behind 1.28", kubeadm([]string{"v1.28.0"}, "v1.25.16"), "", []string{"SKEW103 node/worker-1"}},
		{"kubelet 1.25 four behind 1.29", kubeadm([]string{"v1.29.0"}, "v1.25.16"), "", []string{"SKEW102 node/worker-1"}},
		{"kubelet newer than apiserver", kubeadm([]string{"v1.30.2"}, "v1.31.0"), "", []string{"SKEW101 node/worker-1"}},
		{"kubelet newer patch is fine", kubeadm([]string{"v1.30.2"}, "v1.30.9"), "", nil},
		// HA bounds
		// To the letter: components and kubelets newer than the OLDEST apiserver are
		// errors, even on the control-plane node that moved first (kubeadm, not K3s).
		{"HA one minor apart", kubeadm([]string{"v1.30.2", "v1.31.0"}, "v1.30.0"), "", []string{
			"SKEW002 servers", "SKEW101 node/cp-2", "SKEW301 kube-controller-manager/cp-2", "SKEW301 kube-scheduler/cp-2"}},
		{"HA two minors apart", kubeadm([]string{"v1.29.2", "v1.31.0"}, "v1.29.0"), "", []string{
			"SKEW001 kube-apiserver", "SKEW002 servers", "SKEW101 node/cp-2", "SKEW301 kube-controller-manager/cp-2", "SKEW301 kube-scheduler/cp-2",
			"SKEW302 kube-controller-manager/cp-1", "SKEW302 kube-scheduler/cp-1"}},
		{"kubelet newer than the oldest HA apiserver", kubeadm([]string{"v1.30.2", "v1.31.0"}, "v1.31.0"), "", []string{
			"SKEW002 servers", "SKEW101 node/cp-2", "SKEW101 node/worker-1", "SKEW301 kube-controller-manager/cp-2", "SKEW301 kube-scheduler/cp-2"}},
		{"kubelet measured from the newest HA apiserver", kubeadm([]string{"v1.30.2", "v1.31.0"}, "v1.27.0"), "", []string{
			"SKEW002 servers", "SKEW101 node/cp-2", "SKEW102 node/worker-1", "SKEW301 kube-controller-manager/cp-2", "SKEW301 kube-scheduler/cp-2"}},
		// kube-proxy
		{"kube-proxy matches", withProxy(kubeadm([]string{"v1.30.2"}, "v1.30.2"), "worker-1", "v1.30.2"), "", nil},
		{"kube-proxy newer than apiserver", withProxy(kubeadm([]string{"v1.30.2"}, "v1.30.2"), "worker-1", "v1.31.0"), "", []string{"SKEW201 kube-proxy/worker-1"}},
		{"kube-proxy 4 behind apiserver", withProxy(kubeadm([]string{"v1.30.2"}, "v1.28.2"), "worker-1", "v1.26.0"), "", []string{"SKEW202 kube-proxy/worker-1"}},
		{"kube-proxy 3 from kubelet", withProxy(kubeadm([]string{"v1.30.2"}, "v1.30.2"), "worker-1", "v1.27.0"), "", nil},
		{"kube-proxy 1.24 three from kubelet 1.27", withProxy(kubeadm([]string{"v1.27.0"}, "v1.27.0"), "worker-1", "v1.24.0"), "", []string{
			"SKEW202 kube-proxy/worker-1", "SKEW203 kube-proxy/worker-1"}},
		// controller-manager and scheduler
		{"kcm one minor older is fine", &cluster.Inventory{
			Nodes:        []cluster.Node{node("cp-1", cluster.RoleServer, "v1.30.1")},
			ControlPlane: []cluster.Instance{instance("cp-1", "v1.30.1", "v1.29.5", "v1.30.1")},
		}, "", nil},
		{"kcm two minors older", &cluster.Inventory{
			Nodes:        []cluster.Node{node("cp-1", cluster.RoleServer, "v1.30.1")},
			ControlPlane: []cluster.Instance{instance("cp-1", "v1.30.1", "v1.28.5", "v1.30.1")},
		}, "", []string{"SKEW302 kube-controller-manager/cp-1"}},
		{"scheduler newer than apiserver", &cluster.Inventory{
			Nodes:        []cluster.Node{node("cp-1", cluster.RoleServer, "v1.30.1")},
			ControlPlane: []cluster.Instance{instance("cp-1", "v1.30.1", "v1.30.1", "v1.31.0")},
		}, "", []string{"SKEW301 kube-scheduler/cp-1"}},
		// the odd ones
		{"garbage kubelet", kubeadm([]string{"v1.30.2"}, "banana"), "", []string{"SKEW501 node/worker-1"}},
		{"empty kubelet", kubeadm([]string{"v1.30.2"}, ""), "", []string{"SKEW501 node/worker-1"}},
		{"garbage apiserver", &cluster.Inventory{
			Nodes:        []cluster.Node{node("cp-1", cluster.RoleServer, "v1.30.1")},
			ControlPlane: []cluster.Instance{instance("cp-1", "latest", "", "")},
		}, "", []string{"SKEW501 kube-apiserver/cp-1", "SKEW503 control-plane"}},
		{"no nodes", &cluster.Inventory{ControlPlane: []cluster.Instance{instance("", "v1.30.1", "", "")}}, "", []string{"SKEW502 cluster"}},
		{"pre-release kubelet", kubeadm([]string{"v1.30.2"}, "v1.30.0-rc.1"), "", []string{"SKEW504 node/worker-1"}},
		// --target
		{"target next minor, all fit", kubeadm([]string{"v1.30.2"}, "v1.28.0"), "v1.31", nil},
		{"target next minor, kubelet falls out", kubeadm([]string{"v1.30.2"}, "v1.27.0"), "v1.31", []string{"SKEW603 node/worker-1"}},
		{"target skips a minor", kubeadm([]string{"v1.30.2"}, "v1.30.0"), "v1.32", []string{"SKEW601 target"}},
		{"target downgrade minor", kubeadm([]string{"v1.30.2"}, "v1.30.0"), "v1.29", []string{"SKEW602 target"}},
		{"target downgrade patch", kubeadm([]string{"v1.30.2"}, "v1.30.0"), "v1.30.1", []string{"SKEW602 target"}},
		{"target same minor, newer patch", kubeadm([]string{"v1.30.2"}, "v1.30.0"), "v1.30.5", nil},
		{"target minor of the oldest HA apiserver + 1", k3s([]string{"v1.30.2+k3s1", "v1.31.0+k3s1"}, "v1.30.0+k3s1"), "v1.32", []string{"SKEW002 servers", "SKEW601 target"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts Options
			if tt.target != "" {
				tgt, err := version.ParseTarget(tt.target)
				if err != nil {
					t.Fatal(err)
				}
				opts.Target = &tgt
			}
			got := ids(Evaluate(tt.inv, opts))
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
			}
		})
	}
}

// k3s builds a K3s cluster: the control plane is embedded in each server's kubelet.
func k3s(servers []string, agents ...string) *cluster.Inventory {
	inv := &cluster.Inventory{Distro: version.K3s}
	for i, s := range servers {
		n := node(fmt.Sprintf("server-%d", i+1), cluster.RoleServer, s)
		inv.Nodes = append(inv.Nodes, n)
		cv := cluster.ComponentVersion{Version: s, Parsed: n.Kubelet, Source: cluster.SourceKubelet}
		inv.ControlPlane = append(inv.ControlPlane, cluster.Instance{Node: n.Name, Components: map[cluster.Component]cluster.ComponentVersion{
			cluster.APIServer: cv, cluster.ControllerManager: cv, cluster.Scheduler: cv,
		}})
	}
	for i, a := range agents {
		inv.Nodes = append(inv.Nodes, node(fmt.Sprintf("agent-%d", i+1), cluster.RoleAgent, a))
	}
	return inv
}

func TestK3sRules(t *testing.T) {
	tests := []struct {
		name string
		inv  *cluster.Inventory
		want []string
	}{
		{"healthy HA", k3s([]string{"v1.32.5+k3s1", "v1.32.5+k3s1", "v1.32.5+k3s1"}, "v1.32.5+k3s1", "v1.31.9+k3s1"), nil},
		{"servers mid-upgrade: warning, not an error on the moved server",
			k3s([]string{"v1.31.9+k3s1", "v1.32.5+k3s1", "v1.31.9+k3s1"}, "v1.31.9+k3s1"), []string{"SKEW002 servers"}},
		{"a revision bump in progress", k3s([]string{"v1.32.5+k3s1", "v1.32.5+k3s2"}), []string{"SKEW002 servers"}},
		{"agent upgraded before every server", k3s([]string{"v1.31.9+k3s1", "v1.32.5+k3s1"}, "v1.32.5+k3s1"), []string{
			"SKEW002 servers", "SKEW101 node/agent-1"}},
		{"agents one to four minors behind", k3s([]string{"v1.30.4+k3s1"}, "v1.29.9+k3s1", "v1.28.9+k3s1", "v1.27.9+k3s1", "v1.26.9+k3s1"), []string{
			"SKEW102 node/agent-4", "SKEW103 node/agent-3"}},
		{"etcd-only server mid-upgrade counts as a server", func() *cluster.Inventory {
			inv := k3s([]string{"v1.30.4+k3s1"})
			inv.Nodes = append(inv.Nodes, node("etcd-1", cluster.RoleEtcd, "v1.31.0+k3s1"))
			return inv
		}(), []string{"SKEW002 servers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(Evaluate(tt.inv, Options{}))
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestKubectlRule(t *testing.T) {
	for _, tt := range []struct {
		kubectl string
		want    bool
	}{{"v1.29.0", true}, {"v1.30.0", false}, {"v1.31.3", false}, {"v1.32.4-dispatcher", false}, {"v1.33.0", true}} {
		inv := kubeadm([]string{"v1.31.2", "v1.31.2"})
		inv.ClientVersion = tt.kubectl
		got := strings.Contains(strings.Join(ids(Evaluate(inv, Options{})), ","), KubectlSkew)
		if got != tt.want {
			t.Errorf("kubectl %s vs apiserver v1.31: finding %v, want %v", tt.kubectl, got, tt.want)
		}
	}
}

func TestFindingsCarryFixes(t *testing.T) {
	inv := k3s([]string{"v1.30.4+k3s1"}, "v1.26.9+k3s1", "v1.27.1+k3s1")
	for _, f := range Evaluate(inv, Options{}) {
		if f.ID == "" || f.Rule == "" || f.Message == "" || f.Fix == "" || f.Severity.Rank() < 0 {
			t.Errorf("incomplete finding %+v", f)
		}
	}
	fs := Evaluate(inv, Options{})
	if fs[0].Severity != Error {
		t.Errorf("findings must be sorted worst first: %v", ids(fs))
	}
	want := "upgrade agent-2 to v1.28 before moving the control plane to v1.31"
	if got := fs[len(fs)-1].Fix; got != want {
		t.Errorf("fix = %q, want %q", got, want)
	}
}
