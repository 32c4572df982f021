package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Well-known keys the scenarios write.
const (
	LabelHostname     = "kubernetes.io/hostname"
	LabelControlPlane = "node-role.kubernetes.io/control-plane"
	LabelEtcd         = "node-role.kubernetes.io/etcd"
	LabelMaster       = "node-role.kubernetes.io/master"
)

// Objects are a scenario's API objects, ready to create.
type Objects struct {
	Nodes []corev1.Node
	Pods  []corev1.Pod
	Extra []*unstructured.Unstructured
}

// Expand turns the scenario's rules into objects. now stamps the conditions, so that
// a seeded cluster looks freshly heartbeating.
func (s *Scenario) Expand(now time.Time) (*Objects, error) {
	out := &Objects{}
	ts := metav1.NewTime(now.UTC().Truncate(time.Second))
	index := 0
	for _, g := range s.Nodes {
		count := g.Count
		if count < 1 {
			count = 1
		}
		for i := 1; i <= count; i++ {
			index++
			n := g.node(i, index, ts)
			out.Nodes = append(out.Nodes, n)
			for _, p := range g.Pods {
				out.Pods = append(out.Pods, p.pod(&n, ts))
			}
		}
	}
	for i, o := range s.Objects {
		b, err := json.Marshal(o)
		if err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("object %d: %w", i, err)
		}
		out.Extra = append(out.Extra, u)
	}
	return out, nil
}

func numbered(pattern string, i, count int) string {
	if count > 1 || strings.Contains(pattern, "%") {
		return fmt.Sprintf(pattern, i)
	}
	return pattern
}

func (g *NodeGroup) node(i, index int, ts metav1.Time) corev1.Node {
	name := numbered(g.Name, i, g.Count)
	hostname := name
	if g.Hostname != "" {
		hostname = numbered(g.Hostname, i, g.Count)
	}
	kubelet := g.Kubelet
	if len(g.Kubelets) > 0 {
		kubelet = g.Kubelets[(i-1)%len(g.Kubelets)]
	}
	osName, arch := or(g.OS, "linux"), or(g.Arch, "amd64")
	ip := fmt.Sprintf("10.0.%d.%d", index/250, index%250+1)

	labels := map[string]string{
		LabelHostname:             hostname,
		"kubernetes.io/os":        osName,
		"kubernetes.io/arch":      arch,
		"beta.kubernetes.io/os":   osName,
		"beta.kubernetes.io/arch": arch,
	}
	annotations := map[string]string{
		"node.alpha.kubernetes.io/ttl":                           "0",
		"volumes.kubernetes.io/controller-managed-attach-detach": "true",
	}
	var taints []corev1.Taint
	g.roleLabels(labels, annotations, &taints, kubelet, hostname, ip)
	for k, v := range g.Labels {
		labels[k] = v
	}
	for k, v := range g.Annotations {
		annotations[k] = v
	}

	ready := !g.NotReady && (g.NotReadyEvery <= 0 || i%g.NotReadyEvery != 0)
	readyCond := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
		Message: "kubelet is posting ready status", LastHeartbeatTime: ts, LastTransitionTime: ts}
	if !ready {
		readyCond.Status, readyCond.Reason, readyCond.Message = corev1.ConditionUnknown, "NodeStatusUnknown", "Kubelet stopped posting node status."
		taints = append(taints, corev1.Taint{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule})
	}
	if g.Unschedulable {
		taints = append(taints, corev1.Taint{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule})
	}
	conds := []corev1.NodeCondition{}
	for _, t := range []corev1.NodeConditionType{corev1.NodeMemoryPressure, corev1.NodeDiskPressure, corev1.NodePIDPressure} {
		conds = append(conds, corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficient" + strings.TrimSuffix(string(t), "Pressure"),
			LastHeartbeatTime: ts, LastTransitionTime: ts})
	}
	conds = append(conds, readyCond)

	id := digest(name)
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("4"),
		corev1.ResourceMemory:           resource.MustParse("16Gi"),
		corev1.ResourcePods:             resource.MustParse("110"),
		corev1.ResourceEphemeralStorage: resource.MustParse("100Gi"),
	}
	spec := corev1.NodeSpec{Unschedulable: g.Unschedulable, Taints: taints}
	if g.Distro != Kubeadm {
		spec.PodCIDR = fmt.Sprintf("10.42.%d.0/24", index%256)
		spec.PodCIDRs = []string{spec.PodCIDR}
		spec.ProviderID = string(g.Distro) + "://" + name
	}
	return corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations},
		Spec:       spec,
		Status: corev1.NodeStatus{
			Capacity:    capacity,
			Allocatable: capacity,
			Conditions:  conds,
			Addresses: []corev1.NodeAddress{
				{Type: corev1.NodeInternalIP, Address: ip},
				{Type: corev1.NodeHostName, Address: hostname},
			},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: 10250}},
			NodeInfo: corev1.NodeSystemInfo{
				MachineID:               id[:32],
				SystemUUID:              uuid(id),
				BootID:                  uuid(digest(name + "/boot")),
				KernelVersion:           or(g.Kernel, "6.8.0-57-generic"),
				OSImage:                 or(g.OSImage, "Ubuntu 24.04.2 LTS"),
				ContainerRuntimeVersion: or(g.Runtime, defaultRuntime(g.Distro, kubelet)),
				KubeletVersion:          kubelet,
				//lint:ignore SA1019 the simulated kubelet fills the deprecated field as real ones before v1.31 do; the plugin never reads it
				KubeProxyVersion: kubeProxy(g.KubeProxy, kubelet),
				OperatingSystem:  osName,
				Architecture:     arch,
			},
		},
	}
}

// roleLabels writes what each distribution sets for a role: K3s and RKE2 use "true"
// values, the node-args annotation and (before v1.34) the legacy master label; kubeadm
// uses empty values and taints its control plane.
func (g *NodeGroup) roleLabels(labels, annotations map[string]string, taints *[]corev1.Taint, kubelet, hostname, ip string) {
	if g.Distro == Kubeadm {
		switch g.Role {
		case Server, ControlPlane:
			labels[LabelControlPlane] = ""
			labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
			*taints = append(*taints, corev1.Taint{Key: LabelControlPlane, Effect: corev1.TaintEffectNoSchedule})
		case Etcd:
			labels[LabelEtcd] = ""
		}
		annotations["kubeadm.alpha.kubernetes.io/cri-socket"] = "unix:///var/run/containerd/containerd.sock"
		return
	}
	prefix := string(g.Distro) + ".io/"
	labels["node.kubernetes.io/instance-type"] = string(g.Distro)
	labels["beta.kubernetes.io/instance-type"] = string(g.Distro)
	args := []string{"agent"}
	switch g.Role {
	case Server:
		labels[LabelControlPlane], labels[LabelEtcd] = "true", "true"
		args = []string{"server"}
	case ControlPlane:
		labels[LabelControlPlane] = "true"
		args = []string{"server", "--disable-etcd"}
	case Etcd:
		labels[LabelEtcd] = "true"
		args = []string{"server", "--disable-apiserver", "--disable-controller-manager", "--disable-scheduler"}
	}
	if (g.Role == Server || g.Role == ControlPlane) && minorOf(kubelet) < 34 {
		labels[LabelMaster] = "true"
	}
	b, _ := json.Marshal(args)
	annotations[prefix+"node-args"] = string(b)
	annotations[prefix+"hostname"] = hostname
	annotations[prefix+"internal-ip"] = ip
}

func (p *PodTemplate) pod(n *corev1.Node, ts metav1.Time) corev1.Pod {
	kubelet := n.Status.NodeInfo.KubeletVersion
	image := strings.NewReplacer("${VERSION}", strings.ReplaceAll(kubelet, "+", "-"), "${BASE}", baseVersion(kubelet)).Replace(p.Image)
	ns := or(p.Namespace, "kube-system")
	labels := map[string]string{}
	for k, v := range p.Labels {
		labels[k] = v
	}
	meta := metav1.ObjectMeta{Namespace: ns, Labels: labels, Annotations: map[string]string{}}
	spec := corev1.PodSpec{
		NodeName:          n.Name,
		PriorityClassName: "system-node-critical",
		Containers:        []corev1.Container{{Name: p.Name, Image: image}},
		Tolerations:       []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
	}
	if p.DaemonSet {
		meta.Name = p.Name + "-" + digest(n.Name)[:5]
		labels["controller-revision-hash"] = digest(p.Name + image)[:10]
		labels["pod-template-generation"] = "1"
		spec.ServiceAccountName = p.Name
	} else {
		// A static pod's mirror: the kubelet names it after the node and marks it.
		hash := digest(n.Name + "/" + p.Name + "/" + image)[:32]
		meta.Name = p.Name + "-" + n.Name
		meta.Annotations["kubernetes.io/config.source"] = "file"
		meta.Annotations["kubernetes.io/config.hash"] = hash
		meta.Annotations["kubernetes.io/config.mirror"] = hash
		spec.HostNetwork = true
	}
	hostIP := ""
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			hostIP = a.Address
		}
	}
	started := true
	return corev1.Pod{
		ObjectMeta: meta,
		Spec:       spec,
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			HostIP:    hostIP,
			PodIP:     hostIP,
			StartTime: &ts,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: ts},
				{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: ts},
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: ts},
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: ts},
			},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: p.Name, Image: image, Ready: true, Started: &started,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: ts}},
			}},
			QOSClass: corev1.PodQOSBestEffort,
		},
	}
}

// kubeProxy is what the kubelet itself reports: its own version up to v1.30 (the field
// was never kube-proxy's), nothing from v1.31 on (KEP-4004).
func kubeProxy(set, kubelet string) string {
	switch {
	case set == "none":
		return ""
	case set != "":
		return set
	case minorOf(kubelet) >= 0 && minorOf(kubelet) <= 30:
		return kubelet
	}
	return ""
}

// defaultRuntime is what a node's kubelet reports as its runtime: for a K3s or RKE2
// release, the containerd the release bundles (release data), as a real node does.
func defaultRuntime(d Distro, kubelet string) string {
	if d == Kubeadm {
		return "containerd://1.7.24"
	}
	if r, ok := BundledRuntime(kubelet); ok {
		return r
	}
	return "containerd://1.7.27-k3s1"
}

// BundledRuntime is the containerRuntimeVersion a K3s or RKE2 node on release v reports:
// the containerd its release bundles, by the release data; ok is false when the data
// does not know the release.
func BundledRuntime(v string) (string, bool) {
	pv, err := version.Parse(v)
	if err != nil {
		return "", false
	}
	r, known := release.Embedded().Lookup(pv)
	if !known {
		return "", false
	}
	c, has := r.Components[release.Containerd]
	if !has {
		return "", false
	}
	return "containerd://" + strings.TrimPrefix(c, "v"), true
}

// minorOf reads the minor of "v1.30.4+k3s1"; -1 when it is not such a version (the
// scenarios include garbage on purpose).
func minorOf(v string) int {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return -1
	}
	m, err := strconv.Atoi(parts[1])
	if err != nil {
		return -1
	}
	return m
}

// baseVersion is "v1.30.4" for "v1.30.4+k3s1" or "v1.30.4-rc1+k3s1".
func baseVersion(v string) string {
	if i := strings.IndexAny(v, "+-"); i > 0 {
		return v[:i]
	}
	return v
}

func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func uuid(h string) string {
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
