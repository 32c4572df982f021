package check_test

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// The clusters the check tests run against.

var checkScenarios = []struct {
	name    string
	cluster clitest.Cluster
	code    int
}{
	{"k3s-healthy-ha", clitest.Cluster{
		Objects: clitest.Objects([]clitest.NodeSpec{
			clitest.Server("server-1", "v1.32.5+k3s1"), clitest.Server("server-2", "v1.32.5+k3s1"), clitest.Server("server-3", "v1.32.5+k3s1"),
			clitest.Agent("agent-1", "v1.32.5+k3s1"), clitest.Agent("agent-2", "v1.32.5+k3s1"), clitest.Agent("agent-3", "v1.31.9+k3s1"),
		}),
		ServerVersion: "v1.32.5+k3s1", Kubectl: "v1.32.4",
	}, cmdutil.ExitOK},
	{"rke2-agent-four-behind", clitest.Cluster{
		Objects: clitest.Objects([]clitest.NodeSpec{
			clitest.Server("server-1", "v1.30.4+rke2r1"), clitest.EtcdOnly("etcd-1", "v1.30.4+rke2r1"),
			clitest.Agent("agent-1", "v1.30.4+rke2r1"), clitest.Agent("agent-2", "v1.26.15+rke2r1"),
		},
			clitest.StaticPod("kube-apiserver", "server-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			clitest.StaticPod("kube-controller-manager", "server-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			clitest.StaticPod("kube-scheduler", "server-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			clitest.StaticPod("kube-proxy", "agent-1", "index.docker.io/rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815"),
			clitest.StaticPod("kube-proxy", "agent-2", "index.docker.io/rancher/hardened-kubernetes:v1.26.15-rke2r1-build20240514"),
		),
		ServerVersion: "v1.30.4+rke2r1", Kubectl: "v1.30.2",
	}, cmdutil.ExitFindings},
	{"kubeadm-static-pods", clitest.Cluster{
		Objects: clitest.Objects([]clitest.NodeSpec{
			clitest.KubeadmCP("cp-1", "v1.29.7"), clitest.Agent("worker-1", "v1.29.7"), clitest.Agent("worker-2", "v1.27.16"),
		},
			clitest.StaticPod("kube-apiserver", "cp-1", "registry.k8s.io/kube-apiserver:v1.29.7"),
			clitest.StaticPod("kube-controller-manager", "cp-1", "registry.k8s.io/kube-controller-manager:v1.28.12"),
			clitest.StaticPod("kube-scheduler", "cp-1", "registry.k8s.io/kube-scheduler:v1.29.7"),
			clitest.KubeProxyPod("cp-1", "registry.k8s.io/kube-proxy:v1.29.7"),
			clitest.KubeProxyPod("worker-1", "registry.k8s.io/kube-proxy:v1.29.7"),
			clitest.KubeProxyPod("worker-2", "registry.k8s.io/kube-proxy:v1.29.7"),
		),
		ServerVersion: "v1.29.7", Kubectl: "v1.32.4",
	}, cmdutil.ExitOK},
	{"eks-versions", clitest.Cluster{
		Objects: clitest.Objects([]clitest.NodeSpec{
			clitest.Agent("ip-10-0-1-10.ec2.internal", "v1.25.9-eks-0a21954"),
			clitest.Agent("ip-10-0-1-11.ec2.internal", "v1.24.13-eks-0a21954"),
			clitest.Agent("ip-10-0-1-12.ec2.internal", "v1.22.17-eks-0a21954"),
		}),
		ServerVersion: "v1.25.16-eks-3025e55", Kubectl: "",
	}, cmdutil.ExitFindings},
	{"k3s-servers-mid-upgrade", clitest.Cluster{
		Objects: clitest.Objects([]clitest.NodeSpec{
			clitest.Server("server-1", "v1.31.9+k3s1"), clitest.Server("server-2", "v1.30.13+k3s1"), clitest.Server("server-3", "v1.30.13+k3s1"),
			clitest.Agent("agent-1", "v1.30.13+k3s1"), {Name: "agent-2", Kubelet: "v1.31.9+k3s1", Cordoned: true},
		}),
		ServerVersion: "v1.31.9+k3s1", Kubectl: "v1.31.0",
	}, cmdutil.ExitFindings},
	{"empty-cluster", clitest.Cluster{ServerVersion: "v1.32.2"}, cmdutil.ExitOK},
	{"garbage-versions", clitest.Cluster{
		Objects: clitest.Objects([]clitest.NodeSpec{
			clitest.Server("server-1", "v1.32.5+k3s1"), clitest.Agent("agent-1", "banana"), clitest.Agent("agent-2", ""),
			{Name: "agent-3", Kubelet: "v1.32.x", NotReady: true},
		}),
		ServerVersion: "v1.32.2", Kubectl: "not-a-version",
	}, cmdutil.ExitOK},
}
