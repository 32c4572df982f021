package cluster

import (
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Well-known labels and annotations (docs/domain.md).
const (
	LabelControlPlane = "node-role.kubernetes.io/control-plane"
	LabelEtcd         = "node-role.kubernetes.io/etcd"
	LabelHostname     = "kubernetes.io/hostname"
	// LabelExclude=true keeps a node out of every upgrade kubectl-skew runs.
	LabelExclude      = "kubectl-skew.io/exclude"
	AnnotationK3sArgs = "k3s.io/node-args"
	AnnotationRKEArgs = "rke2.io/node-args"
)

// Sources say where a version was learnt.
const (
	SourceKubelet  = "kubelet"
	SourceEmbedded = "embedded"
	SourceVersion  = "/version"
	sourcePodPfx   = "pod/"
)

// Objects is what Build needs from the API: nodes, the kube-system pods that carry
// control-plane and kube-proxy versions, and /version.
type Objects struct {
	Nodes []corev1.Node
	// Pods are kube-system pods; nil when they could not be read (see Skipped).
	Pods          []corev1.Pod
	ServerVersion string
	Skipped       []Skipped
}

// Build turns API objects into an Inventory. It never fails: what it cannot parse
// it records on the node (KubeletError) for the policy to report.
func Build(obj Objects) *Inventory {
	inv := &Inventory{ServerVersion: obj.ServerVersion, Skipped: obj.Skipped}
	inv.Nodes = make([]Node, 0, len(obj.Nodes))
	parse := versionCache{}
	for i := range obj.Nodes {
		inv.Nodes = append(inv.Nodes, nodeFrom(&obj.Nodes[i], parse))
	}
	sort.SliceStable(inv.Nodes, func(i, j int) bool {
		a, b := inv.Nodes[i], inv.Nodes[j]
		if ra, rb := roleOrder(a.Role), roleOrder(b.Role); ra != rb {
			return ra < rb
		}
		return a.Name < b.Name
	})
	inv.Distro = clusterDistro(inv.Nodes)
	pods := indexPods(obj.Pods)
	inv.ControlPlane = controlPlane(inv, pods, obj.Pods != nil)
	setKubeProxy(inv, pods, obj.Pods != nil)
	return inv
}

func roleOrder(r Role) int {
	switch r {
	case RoleServer:
		return 0
	case RoleEtcd:
		return 1
	}
	return 2
}

// versionCache parses each distinct version string once: a cluster of thousands of
// nodes runs a handful of versions, and the parsed values are shared read-only.
type versionCache map[string]parsed

type parsed struct {
	v   *version.Version
	err error
}

func (c versionCache) parse(s string) (*version.Version, error) {
	if p, ok := c[s]; ok {
		return p.v, p.err
	}
	v, err := version.Parse(s)
	p := parsed{err: err}
	if err == nil {
		p.v = &v
	}
	c[s] = p
	return p.v, p.err
}

func nodeFrom(n *corev1.Node, cache versionCache) Node {
	info := n.Status.NodeInfo
	out := Node{
		Name:             n.Name,
		Role:             RoleOf(n),
		Hostname:         Hostname(n),
		KubeletVersion:   info.KubeletVersion,
		ContainerRuntime: info.ContainerRuntimeVersion,
		OS:               info.OperatingSystem,
		Arch:             info.Architecture,
		OSImage:          info.OSImage,
		Cordoned:         n.Spec.Unschedulable,
		Labels:           n.Labels,
		Distro:           version.Other,
	}
	out.Ready = Ready(n)
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			// The kubelet's last word: its heartbeat, or its turn to Ready if later.
			out.Heartbeat = c.LastHeartbeatTime.Time
			if c.Status == corev1.ConditionTrue && c.LastTransitionTime.After(out.Heartbeat) {
				out.Heartbeat = c.LastTransitionTime.Time
			}
		}
	}
	if v, err := cache.parse(info.KubeletVersion); err != nil {
		out.KubeletError = err.Error()
	} else {
		out.Kubelet = v
		out.Distro = v.Distro
	}
	return out
}

// clusterDistro is the servers' distro when they agree, else the most common one.
func clusterDistro(nodes []Node) version.Distro {
	count := map[version.Distro]int{}
	for _, n := range nodes {
		if n.Kubelet != nil {
			weight := 1
			if n.Role.IsServer() {
				weight = len(nodes) + 1 // servers decide
			}
			count[n.Distro] += weight
		}
	}
	best, bestN := version.Other, 0
	for _, d := range []version.Distro{version.K3s, version.RKE2, version.Other} {
		if count[d] > bestN {
			best, bestN = d, count[d]
		}
	}
	return best
}

// podIndex maps component -> node -> pod for the pods that carry versions.
type podIndex map[Component]map[string]*corev1.Pod

const kubeProxy Component = "kube-proxy"

func indexPods(pods []corev1.Pod) podIndex {
	idx := podIndex{}
	for i := range pods {
		p := &pods[i]
		c := componentOf(p)
		if c == "" || p.Spec.NodeName == "" || p.DeletionTimestamp != nil {
			continue
		}
		if idx[c] == nil {
			idx[c] = map[string]*corev1.Pod{}
		}
		// Several pods for one node (a rollout): keep the newest.
		if old, ok := idx[c][p.Spec.NodeName]; !ok || old.CreationTimestamp.Before(&p.CreationTimestamp) {
			idx[c][p.Spec.NodeName] = p
		}
	}
	return idx
}

// componentOf recognises static control-plane pods and kube-proxy pods by their
// labels (kubeadm and RKE2 set component=..., the kube-proxy DaemonSet k8s-app=kube-proxy)
// or, failing that, by name (static pods are "<component>-<node>").
func componentOf(p *corev1.Pod) Component {
	if c := Component(p.Labels["component"]); isVersioned(c) {
		return c
	}
	if p.Labels["k8s-app"] == string(kubeProxy) {
		return kubeProxy
	}
	for _, c := range append(Components, kubeProxy) {
		if strings.HasPrefix(p.Name, string(c)+"-") {
			return c
		}
	}
	return ""
}

func isVersioned(c Component) bool {
	if c == kubeProxy {
		return true
	}
	for _, k := range Components {
		if c == k {
			return true
		}
	}
	return false
}

// podVersion reads the version from the image of the pod's container named for the
// component, or its only container.
func podVersion(p *corev1.Pod, c Component) ComponentVersion {
	cv := ComponentVersion{Source: sourcePodPfx + p.Name}
	var image string
	for _, ctr := range p.Spec.Containers {
		if ctr.Name == string(c) || len(p.Spec.Containers) == 1 {
			image = ctr.Image
			break
		}
	}
	if image == "" && len(p.Spec.Containers) > 0 {
		image = p.Spec.Containers[0].Image
	}
	cv.Version = image
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			cv.PodReady = string(c.Status)
		}
	}
	v, err := version.FromImage(image)
	if err != nil {
		cv.Error = err.Error()
		return cv
	}
	cv.Version, cv.Parsed = v.String(), &v
	return cv
}

// controlPlane finds each control-plane instance and its component versions.
// K3s embeds the control plane in its binary, so a server's kubelet version is its
// apiserver's. RKE2 and kubeadm run static pods, whose image tags say it; RKE2 falls
// back to the server kubelets (one binary, one version) when pods cannot be read.
// When nothing else is known, /version describes the one instance that answered.
func controlPlane(inv *Inventory, pods podIndex, podsRead bool) []Instance {
	var out []Instance
	for _, n := range inv.Nodes {
		if n.Role != RoleServer {
			continue
		}
		in := Instance{Node: n.Name, Components: map[Component]ComponentVersion{}}
		embedded := inv.Distro == version.K3s || (inv.Distro == version.RKE2 && !podsRead)
		for _, c := range Components {
			if p, ok := pods[c][n.Name]; ok && !embedded {
				in.Components[c] = podVersion(p, c)
			} else if embedded && c != CloudControllerManager {
				in.Components[c] = ComponentVersion{Version: n.KubeletVersion, Parsed: n.Kubelet, Error: n.KubeletError, Source: SourceKubelet}
			}
		}
		if len(in.Components) > 0 {
			out = append(out, in)
		}
	}
	// Static pods on nodes without the control-plane label (hand-labelled clusters).
	for node, p := range pods[APIServer] {
		if !hasInstance(out, node) && inv.Distro != version.K3s {
			in := Instance{Node: node, Components: map[Component]ComponentVersion{APIServer: podVersion(p, APIServer)}}
			for _, c := range Components[1:] {
				if q, ok := pods[c][node]; ok {
					in.Components[c] = podVersion(q, c)
				}
			}
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	if len(out) == 0 && inv.ServerVersion != "" {
		cv := ComponentVersion{Version: inv.ServerVersion, Source: SourceVersion}
		if v, err := version.Parse(inv.ServerVersion); err != nil {
			cv.Error = err.Error()
		} else {
			cv.Parsed = &v
		}
		out = append(out, Instance{Node: "", Components: map[Component]ComponentVersion{APIServer: cv}})
	}
	return out
}

func hasInstance(ins []Instance, node string) bool {
	for _, in := range ins {
		if in.Node == node {
			return true
		}
	}
	return false
}

// setKubeProxy fills each node's kube-proxy version. status.nodeInfo.kubeProxyVersion
// is deprecated (KEP-4004) and wrong or empty on new kubelets, so it is never read.
func setKubeProxy(inv *Inventory, pods podIndex, podsRead bool) {
	for i := range inv.Nodes {
		n := &inv.Nodes[i]
		switch {
		case n.Distro == version.K3s:
			n.KubeProxyVersion, n.KubeProxy, n.KubeProxySource = n.KubeletVersion, n.Kubelet, SourceEmbedded
		case podsRead:
			if p, ok := pods[kubeProxy][n.Name]; ok {
				cv := podVersion(p, kubeProxy)
				n.KubeProxyVersion, n.KubeProxy, n.KubeProxySource = cv.Version, cv.Parsed, cv.Source
			}
		}
	}
}
