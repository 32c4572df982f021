package hazard

import (
	"fmt"
	"sort"
	"strings"
)

// FeatureGate is a Kubernetes feature gate that stops a process when set at a minor
// where it is locked or gone: component-base refuses "cannot set feature gate X to
// false, feature is locked to true" and "unrecognized feature gate: X", and the
// kubelet or apiserver exits at start (SKEW906).
type FeatureGate struct {
	Name string
	// LockedIn is the minor from which only LockedTo is accepted; 0 when not known.
	LockedIn int
	LockedTo bool
	// RemovedIn is the minor from which any value is refused; 0 while it is not removed.
	RemovedIn int
	Source    string
}

// FeatureGates are the gates K3s and RKE2 users pass through node-args
// (--kubelet-arg=feature-gates=..., --kube-apiserver-arg=...) that were locked or
// removed from v1.28 on. Each row is read from the gate's stability history in
// kubernetes' kube_features.go and the feature-gate reference pages; a removal is
// listed only where the release that removed it is confirmed.
var FeatureGates = []FeatureGate{
	{Name: "AppArmor", LockedIn: 31, LockedTo: true, RemovedIn: 33, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates-removed/"},
	{Name: "AuthorizeNodeWithSelectors", LockedIn: 34, LockedTo: true, RemovedIn: 37, Source: "https://github.com/kubernetes/kubernetes/pull/138647"},
	{Name: "AuthorizeWithSelectors", LockedIn: 34, LockedTo: true, RemovedIn: 37, Source: "https://github.com/kubernetes/kubernetes/pull/138647"},
	{Name: "CloudDualStackNodeIPs", LockedIn: 30, LockedTo: true, RemovedIn: 32, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates-removed/"},
	{Name: "CPUManager", LockedIn: 26, LockedTo: true, RemovedIn: 33, Source: "https://github.com/kubernetes/kubernetes/pull/129296"},
	{Name: "DisableCloudProviders", LockedIn: 31, LockedTo: true, RemovedIn: 33, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates-removed/"},
	{Name: "InPlacePodVerticalScaling", LockedIn: 35, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/blob/master/pkg/features/kube_features.go"},
	{Name: "KMSv2", LockedIn: 29, LockedTo: true, RemovedIn: 32, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates-removed/"},
	{Name: "KubeletCgroupDriverFromCRI", LockedIn: 34, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/blob/master/pkg/features/kube_features.go"},
	{Name: "MemoryManager", LockedIn: 32, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/blob/master/pkg/features/kube_features.go"},
	{Name: "NFTablesProxyMode", LockedIn: 33, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/blob/master/pkg/features/kube_features.go"},
	{Name: "NodeSwap", LockedIn: 34, LockedTo: true, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates/"},
	{Name: "ReadWriteOncePod", LockedIn: 29, LockedTo: true, RemovedIn: 31, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates-removed/"},
	{Name: "ServiceAccountTokenNodeBinding", LockedIn: 33, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/blob/master/pkg/features/kube_features.go"},
	{Name: "SidecarContainers", LockedIn: 33, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/pull/129731"},
	{Name: "StructuredAuthenticationConfiguration", LockedIn: 34, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/blob/master/pkg/features/kube_features.go"},
	{Name: "StructuredAuthorizationConfiguration", LockedIn: 32, LockedTo: true, Source: "https://github.com/kubernetes/kubernetes/blob/master/pkg/features/kube_features.go"},
	{Name: "TopologyManager", LockedIn: 27, LockedTo: true, RemovedIn: 29, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates-removed/"},
	{Name: "ValidatingAdmissionPolicy", LockedIn: 30, LockedTo: true, RemovedIn: 32, Source: "https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates-removed/"},
}

// gateComponents are the processes whose --feature-gates node-args can pass.
var gateComponents = []string{"kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kube-cloud-controller-manager"}

// gatesOn lists the gates whose lock or removal lies in the hop: above its From minor,
// at or below its To minor.
func gatesOn(h Hop) []FeatureGate {
	var out []FeatureGate
	for _, g := range FeatureGates {
		for _, m := range []int{g.LockedIn, g.RemovedIn} {
			if m > 0 && uint64(m) > h.From.Minor && uint64(m) <= h.To.Minor {
				out = append(out, g)
				break
			}
		}
	}
	return out
}

// gateIndex is every feature gate the args pass, by component ("kubelet"), the last
// value winning (the flag accumulates over repeats); nil when there is none.
func gateIndex(args []Arg) map[string]map[string]string {
	var out map[string]map[string]string
	for _, a := range args {
		component, ok := strings.CutSuffix(a.Flag, "-arg")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimLeft(a.Value, "-"), "=")
		if k != "feature-gates" {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
			if name == "" {
				continue
			}
			if out == nil {
				out = map[string]map[string]string{}
			}
			if out[component] == nil {
				out[component] = map[string]string{}
			}
			out[component][name] = strings.ToLower(strings.TrimSpace(val))
		}
	}
	return out
}

// setGates is gateIndex for one component, from the index when NodesFrom built it.
func setGates(n *Node, component string) map[string]string {
	if n.indexed {
		return n.gates[component]
	}
	return gateIndex(n.Args)[component]
}

// gateHits names the gates node n passes that stop a process at the hop's minor;
// gates are gatesOn(h).
func gateHits(h Hop, gates []FeatureGate, n *Node) []Hit {
	if len(gates) == 0 {
		return nil
	}
	if n.indexed && n.gates == nil {
		return nil
	}
	var out []Hit
	for _, component := range gateComponents {
		set := setGates(n, component)
		names := make([]string, 0, len(set))
		for k := range set {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			for _, g := range gates {
				if g.Name != name {
					continue
				}
				val := set[name]
				switch {
				case g.RemovedIn > 0 && uint64(g.RemovedIn) <= h.To.Minor:
					out = append(out, Hit{Subject: "node/" + n.Name, Message: fmt.Sprintf("passes --%s-arg=feature-gates=%s=%s; the gate is gone in v1.%d (\"unrecognized feature gate\"): %s will not start",
						component, name, val, g.RemovedIn, component)})
				case g.LockedIn > 0 && uint64(g.LockedIn) <= h.To.Minor && val != fmt.Sprint(g.LockedTo):
					out = append(out, Hit{Subject: "node/" + n.Name, Message: fmt.Sprintf("passes --%s-arg=feature-gates=%s=%s; from v1.%d the gate is locked to %t (\"cannot set feature gate\"): %s will not start",
						component, name, val, g.LockedIn, g.LockedTo, component)})
				}
			}
		}
	}
	return out
}
