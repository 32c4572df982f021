// Package cluster reads a cluster into an Inventory: what the skew policy and the
// upgrade planner need to know, and nothing they do not.
package cluster

import (
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Role is a node's part in the cluster.
type Role string

const (
	// RoleServer runs the control plane (and, on K3s/RKE2 with embedded etcd, etcd).
	RoleServer Role = "server"
	// RoleEtcd is a K3s/RKE2 etcd-only server: no control-plane label, but upgraded with the servers.
	RoleEtcd Role = "etcd"
	// RoleAgent runs workloads only.
	RoleAgent Role = "agent"
)

// IsServer reports whether the role is upgraded with the servers, before any agent.
func (r Role) IsServer() bool { return r == RoleServer || r == RoleEtcd }

// Node is one node as the skew policy sees it.
type Node struct {
	Name   string         `json:"name"`
	Role   Role           `json:"role"`
	Distro version.Distro `json:"distro"`
	// Hostname is the kubernetes.io/hostname label: SUC's status.applying names nodes by it.
	Hostname string `json:"hostname,omitempty"`

	KubeletVersion string `json:"kubeletVersion"`
	// Kubelet is the parsed KubeletVersion; nil when it cannot be parsed (KubeletError says why).
	Kubelet      *version.Version `json:"-"`
	KubeletError string           `json:"kubeletVersionError,omitempty"`

	// KubeProxyVersion is empty when it cannot be known (kube-proxy disabled, pod not found).
	KubeProxyVersion string           `json:"kubeProxyVersion,omitempty"`
	KubeProxy        *version.Version `json:"-"`
	// KubeProxySource says where KubeProxyVersion came from: "embedded" (K3s) or "pod/<name>".
	KubeProxySource string `json:"kubeProxySource,omitempty"`

	ContainerRuntime string `json:"containerRuntime,omitempty"`
	OS               string `json:"os,omitempty"`
	Arch             string `json:"arch,omitempty"`
	OSImage          string `json:"osImage,omitempty"`
	Ready            bool   `json:"ready"`
	Cordoned         bool   `json:"cordoned"`
	// Labels are the node's labels, for selectors.
	Labels map[string]string `json:"-"`
	// Heartbeat is the Ready condition's last heartbeat, or its last turn to Ready if
	// later: a restarted kubelet writes both as soon as it is back.
	Heartbeat time.Time `json:"-"`
}

// Component names a control-plane component.
type Component string

const (
	APIServer              Component = "kube-apiserver"
	ControllerManager      Component = "kube-controller-manager"
	Scheduler              Component = "kube-scheduler"
	CloudControllerManager Component = "cloud-controller-manager"
)

// Components lists control-plane components in upgrade order.
var Components = []Component{APIServer, ControllerManager, Scheduler, CloudControllerManager}

// ComponentVersion is one component's version on one control-plane instance.
type ComponentVersion struct {
	Version string           `json:"version"`
	Parsed  *version.Version `json:"-"`
	Error   string           `json:"error,omitempty"`
	// Source says how the version was learnt: "kubelet" (embedded, K3s) or "pod/<name>" (static pod image).
	Source string `json:"source"`
	// PodReady is the static pod's Ready condition, "True" or "False"; empty when the
	// pod reports none (or the version did not come from a pod).
	PodReady string `json:"-"`
}

// Instance is the control plane on one server node.
type Instance struct {
	Node       string                         `json:"node"`
	Components map[Component]ComponentVersion `json:"components"`
}

// Skipped is something the inventory could not read; never a silent pass.
type Skipped struct {
	What   string `json:"what"`
	Reason string `json:"reason"`
}

// Inventory is a snapshot of the versions in one cluster.
type Inventory struct {
	Distro version.Distro `json:"distro"`
	// ServerVersion is what /version answered: only the apiserver instance that served the request.
	ServerVersion string     `json:"serverVersion,omitempty"`
	Nodes         []Node     `json:"nodes"`
	ControlPlane  []Instance `json:"controlPlane"`
	// ClientVersion is the kubectl version, when it can be known; ClientSource says which kubectl.
	ClientVersion string    `json:"clientVersion,omitempty"`
	ClientSource  string    `json:"clientSource,omitempty"`
	Skipped       []Skipped `json:"skipped,omitempty"`
}

// Servers returns the nodes upgraded with the control plane (servers and etcd-only servers).
func (inv *Inventory) Servers() []Node {
	var out []Node
	for _, n := range inv.Nodes {
		if n.Role.IsServer() {
			out = append(out, n)
		}
	}
	return out
}

// Agents returns the worker nodes.
func (inv *Inventory) Agents() []Node {
	var out []Node
	for _, n := range inv.Nodes {
		if !n.Role.IsServer() {
			out = append(out, n)
		}
	}
	return out
}

// APIServerRange returns the oldest and newest kube-apiserver among the instances whose
// version parses; ok is false when none does. The skew rules compare against both ends,
// and every hop of an upgrade starts at the oldest.
func (inv *Inventory) APIServerRange() (oldest, newest version.Version, ok bool) {
	for _, in := range inv.ControlPlane {
		c, has := in.Components[APIServer]
		if !has || c.Parsed == nil {
			continue
		}
		v := *c.Parsed
		switch {
		case !ok:
			oldest, newest, ok = v, v, true
		case v.Compare(oldest) < 0:
			oldest = v
		case v.Compare(newest) > 0:
			newest = v
		}
	}
	return oldest, newest, ok
}

// KubeletSample names a kubelet version of the cluster, for a message that says which
// distribution the cluster is not.
func (inv *Inventory) KubeletSample() string {
	for _, n := range inv.Nodes {
		if n.KubeletVersion != "" {
			return n.KubeletVersion
		}
	}
	if len(inv.Nodes) == 0 {
		return "nothing: the cluster has no nodes"
	}
	return "no version"
}
