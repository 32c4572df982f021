package hazard

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Fact names one list the judgements read. Read lists only those some hop needs.
type Fact string

const (
	FactNodes        Fact = "nodes"                       // kubelet versions, nodeInfo, node-args
	FactNodeEvents   Fact = "node events"                 // Events on Nodes (reason CgroupV1)
	FactTraefikV2    Fact = "traefik.containo.us objects" // v2-only CRD objects
	FactWorkloads    Fact = "workloads"                   // Deployments, DaemonSets, StatefulSets: selectors, affinities, tolerations
	FactPlans        Fact = "plans"                       // upgrade.cattle.io Plans of others
	FactHelmInstall  Fact = "helm-install jobs"           // kube-system Jobs of the helm-controller
	FactHelmReleases Fact = "helm releases"               // Helm release Secrets and their status
	FactHelmCharts   Fact = "helm charts"                 // helm.cattle.io HelmChart and HelmChartConfig in kube-system
	FactIngresses    Fact = "ingresses"                   // networking.k8s.io Ingress annotations
)

// Node is what the judgements need of one node.
type Node struct {
	Name            string
	Kubelet         string // status.nodeInfo.kubeletVersion
	Runtime         string // status.nodeInfo.containerRuntimeVersion, "containerd://2.0.4-k3s2"
	Kernel, OSImage string
	Args            []Arg  // parsed node-args; nil when absent or malformed
	ArgsError       string // why node-args could not be read, "" when fine or absent
	HasArgs         bool
	ControlPlane    bool
	// Etcd marks a member of the embedded etcd (the etcd role label), etcd-only
	// servers included.
	Etcd             bool
	CgroupV1Warnings int // Events with reason CgroupV1 on this node
	// pass is Args' pass-through flags by component, built once by NodesFrom: every
	// entry on every hop asks, and 5,000 nodes times entries times hops adds up.
	pass map[string]map[string]string
	// gates are the feature gates set per component, and containerd the runtime's
	// version, both read once by NodesFrom for the same reason.
	gates      map[string]map[string]string
	containerd *version.Version
	// kubelet is Kubelet parsed (nil when it does not parse), read once too.
	kubelet *version.Version
	indexed bool
}

// kubeletVersion is Kubelet parsed, from the index when NodesFrom built it.
func (n *Node) kubeletVersion() (version.Version, bool) {
	if n.indexed {
		if n.kubelet == nil {
			return version.Version{}, false
		}
		return *n.kubelet, true
	}
	v, err := version.Parse(n.Kubelet)
	return v, err == nil
}

// passThrough is PassThrough(n.Args, component), from the index when NodesFrom built it.
func (n *Node) passThrough(component string) map[string]string {
	if n.pass != nil {
		return n.pass[component]
	}
	return PassThrough(n.Args, component)
}

// Object names one object a hazard concerns, with the detail that makes it one.
type Object struct {
	Kind, Namespace, Name string
	Detail                string
}

// Ref is "kind/namespace/name" (or "kind/name" for cluster-scoped objects).
func (o Object) Ref() string {
	if o.Namespace == "" {
		return o.Kind + "/" + o.Name
	}
	return o.Kind + "/" + o.Namespace + "/" + o.Name
}

// Facts is everything read for the judgements, once per run.
type Facts struct {
	Nodes []Node
	// TraefikV2Served is whether the apiserver serves traefik.containo.us at all.
	TraefikV2Served bool
	TraefikV2       []Object
	// MasterLabelUsers are workloads and Plans selecting, preferring or tolerating
	// node-role.kubernetes.io/master.
	MasterLabelUsers []Object
	FailedHelmJobs   []Object
	PendingReleases  []Object
	HelmCharts       []Object // HelmChart and HelmChartConfig; Detail holds valuesContent
	SnippetIngresses []Object
	// Skipped maps a fact that could not be read to the reason (forbidden, not served).
	Skipped map[Fact]string
	// Read records the facts that were read (or skipped): an entry whose fact was never
	// read is not judged at all.
	Read map[Fact]bool
}

// skip records a fact that could not be read.
func (f *Facts) skip(fact Fact, reason string) {
	if f.Skipped == nil {
		f.Skipped = map[Fact]string{}
	}
	f.Skipped[fact] = reason
}

func (f *Facts) mark(fact Fact) {
	if f.Read == nil {
		f.Read = map[Fact]bool{}
	}
	f.Read[fact] = true
}

// NodesFrom turns API nodes into judgement facts; node-args that are not a JSON array
// of strings are named in ArgsError, never fatal.
func NodesFrom(nodes []corev1.Node) []Node {
	out := make([]Node, 0, len(nodes))
	runtimes, kubelets := map[string]*version.Version{}, map[string]*version.Version{}
	for i := range nodes {
		n := &nodes[i]
		nd := Node{
			Name:    n.Name,
			Kubelet: n.Status.NodeInfo.KubeletVersion,
			Runtime: n.Status.NodeInfo.ContainerRuntimeVersion,
			Kernel:  n.Status.NodeInfo.KernelVersion,
			OSImage: n.Status.NodeInfo.OSImage,
		}
		_, nd.ControlPlane = n.Labels["node-role.kubernetes.io/control-plane"]
		nd.Etcd = cluster.IsEtcdMember(n.Labels)
		for _, key := range NodeArgsAnnotations {
			raw, ok := n.Annotations[key]
			if !ok {
				continue
			}
			nd.HasArgs = true
			args, err := ParseNodeArgs(raw)
			if err != nil {
				nd.ArgsError = key + ": " + err.Error()
				break
			}
			nd.Args = args
			nd.pass = passThroughIndex(args)
			break
		}
		nd.gates = gateIndex(nd.Args)
		// Nodes share a handful of runtime versions: parse each once.
		v, seen := runtimes[nd.Runtime]
		if !seen {
			if pv, ok := runtimeVersion(nd.Runtime); ok {
				v = &pv
			}
			runtimes[nd.Runtime] = v
		}
		nd.containerd, nd.indexed = v, true
		kv, seen := kubelets[nd.Kubelet]
		if !seen {
			if pv, err := version.Parse(nd.Kubelet); err == nil {
				kv = &pv
			}
			kubelets[nd.Kubelet] = kv
		}
		nd.kubelet = kv
		out = append(out, nd)
	}
	return out
}
