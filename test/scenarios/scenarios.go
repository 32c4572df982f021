// Package scenarios holds the sandbox's clusters as data: one YAML file per scenario
// (nodes with roles, versions and state; static pods; extra objects), embedded so that
// tests and the sandbox CLI find them wherever they run.
package scenarios

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

//go:embed *.yaml
var files embed.FS

// Scenario is one cluster to seed.
type Scenario struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Nodes are groups of alike nodes; a group with Count > 1 is a rule, not a list.
	Nodes []NodeGroup `json:"nodes"`
	// Objects are extra API objects (any kind), created as written; a "status" is
	// written through the status subresource afterwards, since create drops it.
	Objects []map[string]any `json:"objects,omitempty"`
}

// Distro decides the role labels, the node-args annotation and defaults.
type Distro string

// Distros a scenario can model.
const (
	K3s     Distro = "k3s"
	RKE2    Distro = "rke2"
	Kubeadm Distro = "kubeadm"
)

// Role is a node's part, written as the labels the distro sets.
type Role string

// Roles. Server is control plane plus (on K3s/RKE2) embedded etcd; ControlPlane has no
// etcd; Etcd is an etcd-only server with no control-plane label.
const (
	Server       Role = "server"
	ControlPlane Role = "control-plane"
	Etcd         Role = "etcd"
	Agent        Role = "agent"
)

// NodeGroup describes Count nodes. With Count > 1, Name (and Hostname) hold one %d
// (e.g. "agent-%04d"), numbered from 1.
type NodeGroup struct {
	Name     string `json:"name"`
	Hostname string `json:"hostname,omitempty"`
	Count    int    `json:"count,omitempty"`
	Role     Role   `json:"role"`
	Distro   Distro `json:"distro"`
	// Kubelet is the kubelet version of every node; Kubelets, when set, is cycled
	// over the group instead (node i gets Kubelets[(i-1) % len]).
	Kubelet  string   `json:"kubelet,omitempty"`
	Kubelets []string `json:"kubelets,omitempty"`
	// KubeProxy is status.nodeInfo.kubeProxyVersion. Empty means what the kubelet
	// would report: its own version up to v1.30, nothing from v1.31 (KEP-4004);
	// "none" forces it empty.
	KubeProxy string `json:"kubeProxy,omitempty"`
	Runtime   string `json:"runtime,omitempty"`
	OS        string `json:"os,omitempty"`
	Arch      string `json:"arch,omitempty"`
	OSImage   string `json:"osImage,omitempty"`
	Kernel    string `json:"kernel,omitempty"`
	// NotReady and Unschedulable apply to every node of the group; NotReadyEvery makes
	// every n-th node of a big group NotReady.
	NotReady      bool              `json:"notReady,omitempty"`
	NotReadyEvery int               `json:"notReadyEvery,omitempty"`
	Unschedulable bool              `json:"unschedulable,omitempty"`
	Labels        map[string]string `json:"labels,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	// Pods are created on every node of the group (static control-plane pods,
	// kube-proxy), in kube-system unless they say otherwise.
	Pods []PodTemplate `json:"pods,omitempty"`
}

// PodTemplate is a pod on one node. Its name is "<name>-<node>" (a static pod's
// mirror) or, with DaemonSet set, "<name>-<5 characters>" as a DaemonSet names it.
// Image may hold ${VERSION} (the node's kubelet version with "+" as "-", as image
// tags spell it) and ${BASE} (vMAJOR.MINOR.PATCH without distro suffix).
type PodTemplate struct {
	Name      string            `json:"name"`
	Namespace string            `json:"namespace,omitempty"`
	Image     string            `json:"image"`
	Labels    map[string]string `json:"labels,omitempty"`
	DaemonSet bool              `json:"daemonSet,omitempty"`
}

// Names lists the embedded scenarios, sorted.
func Names() []string {
	entries, err := fs.Glob(files, "*.yaml")
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, strings.TrimSuffix(e, path.Ext(e)))
	}
	sort.Strings(out)
	return out
}

// Load reads an embedded scenario by name.
func Load(name string) (*Scenario, error) {
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("scenario %q not found (have: %s)", name, strings.Join(Names(), ", "))
	}
	return Parse(name, b)
}

// Parse reads a scenario document and checks it.
func Parse(name string, b []byte) (*Scenario, error) {
	var s Scenario
	if err := yaml.UnmarshalStrict(b, &s); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", name, err)
	}
	if s.Name == "" {
		s.Name = name
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return &s, nil
}

func (s *Scenario) validate() error {
	for i, g := range s.Nodes {
		if g.Name == "" {
			return fmt.Errorf("node group %d has no name", i)
		}
		if g.Count > 1 && strings.Count(g.Name, "%") != 1 {
			return fmt.Errorf("node group %q: count %d needs one %%d in the name", g.Name, g.Count)
		}
		switch g.Role {
		case Server, ControlPlane, Etcd, Agent:
		default:
			return fmt.Errorf("node group %q: role %q is not server, control-plane, etcd or agent", g.Name, g.Role)
		}
		switch g.Distro {
		case K3s, RKE2, Kubeadm:
		default:
			return fmt.Errorf("node group %q: distro %q is not k3s, rke2 or kubeadm", g.Name, g.Distro)
		}
		if g.Kubelet == "" && len(g.Kubelets) == 0 {
			return fmt.Errorf("node group %q has no kubelet version", g.Name)
		}
		for _, p := range g.Pods {
			if p.Name == "" || p.Image == "" {
				return fmt.Errorf("node group %q: a pod needs a name and an image", g.Name)
			}
		}
	}
	for i, o := range s.Objects {
		if o["apiVersion"] == nil || o["kind"] == nil {
			return fmt.Errorf("object %d has no apiVersion or kind", i)
		}
	}
	return nil
}
