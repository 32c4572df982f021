package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Options tune Evaluate.
type Options struct {
	// Target, when set, also evaluates what stands between the cluster and a control
	// plane at Target: a downgrade, a skipped minor, nodes that would fall out of skew.
	Target *version.Target
}

// Evaluate applies every skew rule to inv and returns the findings, sorted worst first.
func Evaluate(inv *cluster.Inventory, opts Options) []Finding {
	e := &evaluation{inv: inv}
	e.bounds()
	e.cluster()
	e.apiservers()
	e.servers()
	e.nodes(opts.Target)
	e.components()
	e.kubectl()
	if opts.Target != nil {
		e.target(*opts.Target)
	}
	Sort(e.out)
	return e.out
}

type evaluation struct {
	inv *cluster.Inventory
	out []Finding
	// amin and amax are the oldest and newest kube-apiserver; ok is false when none is known.
	amin, amax version.Version
	ok         bool
	memo       map[string][2]string
}

func (e *evaluation) add(f Finding) { e.out = append(e.out, f) }

func (e *evaluation) bounds() { e.amin, e.amax, e.ok = e.inv.APIServerRange() }

// KubeletWindow is K of the policy: how many minors a kubelet (or kube-proxy) of
// minor m may trail the newest apiserver. Three since v1.25 (stable N-3 since v1.28).
func KubeletWindow(m version.Version) int {
	if m.Major == 1 && m.Minor < 25 {
		return 2
	}
	return 3
}

func (e *evaluation) cluster() {
	if len(e.inv.Nodes) == 0 {
		e.add(Finding{
			ID: NoNodes, Severity: Warning, Subject: "cluster",
			Rule:    "A cluster needs nodes for its kubelets to be checked.",
			Message: "the cluster has no nodes: no kubelet could be checked",
			Fix:     "join nodes, or check that this is the cluster you meant (--context)",
		})
	}
	if !e.ok {
		e.add(Finding{
			ID: ControlPlaneUnknown, Severity: Warning, Subject: "control-plane",
			Rule:    "Every rule compares against the kube-apiserver versions, which must be known.",
			Message: "no kube-apiserver version could be read: kubelet and component rules were not checked",
			Fix:     "allow 'list pods' in kube-system and 'get' on /version, or label the servers node-role.kubernetes.io/control-plane",
		})
	}
}

func (e *evaluation) apiservers() {
	for _, in := range e.inv.ControlPlane {
		if c, ok := in.Components[cluster.APIServer]; ok && c.Parsed == nil {
			e.add(unparsable(subject(cluster.APIServer, in.Node), "kube-apiserver", c.Version))
		}
	}
	if !e.ok {
		return
	}
	if d := e.amax.MinorsAhead(e.amin); d > 1 {
		e.add(Finding{
			ID: APIServerHASkew, Severity: Error, Subject: "kube-apiserver",
			Rule:    "In HA, the newest and oldest kube-apiserver must be at most one minor apart.",
			Message: fmt.Sprintf("kube-apiservers run %s to %s, %d minors apart", e.amin, e.amax, d),
			Fix:     fmt.Sprintf("upgrade the kube-apiservers on %s to %s, one minor at a time", minorString(e.amin), e.amin.MinorVersion().Add(1)),
		})
	}
}

// servers warns when servers run different versions: an upgrade in progress, or stuck.
func (e *evaluation) servers() {
	versions := map[string][]string{}
	record := func(v *version.Version, who string) {
		if v != nil {
			versions[v.String()] = append(versions[v.String()], who)
		}
	}
	embedded := e.inv.Distro.IsRancherDistro()
	for _, n := range e.inv.Nodes {
		if embedded && n.Role.IsServer() {
			record(n.Kubelet, n.Name)
		}
	}
	if !embedded {
		for _, in := range e.inv.ControlPlane {
			if c, ok := in.Components[cluster.APIServer]; ok && in.Node != "" {
				record(c.Parsed, in.Node)
			}
		}
	}
	if len(versions) < 2 {
		return
	}
	keys := make([]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return version.MustParse(keys[i]).Compare(version.MustParse(keys[j])) < 0
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		sort.Strings(versions[k])
		parts[i] = fmt.Sprintf("%s on %s", k, strings.Join(versions[k], ", "))
	}
	newest := keys[len(keys)-1]
	e.add(Finding{
		ID: ServersMixed, Severity: Warning, Subject: "servers",
		Rule:    "All servers should run one version; a mix means an upgrade is in progress or stuck.",
		Message: "servers run different versions: " + strings.Join(parts, "; "),
		Fix:     finishServers(embedded, newest),
	})
}

// finishServers is the fix for servers on different versions, in the words of the
// tool that upgrades them.
func finishServers(embedded bool, newest string) string {
	if embedded {
		return fmt.Sprintf("finish the upgrade: bring every server to %s before touching agents (kubectl skew status shows a stuck plan)", newest)
	}
	return fmt.Sprintf("finish the control-plane upgrade: bring every control-plane node to %s (kubeadm upgrade node) before any kubelet", newest)
}

// nodes applies the kubelet and kube-proxy rules to every node.
func (e *evaluation) nodes(target *version.Target) {
	for i := range e.inv.Nodes {
		n := &e.inv.Nodes[i]
		subj := "node/" + n.Name
		if n.Kubelet == nil {
			e.add(unparsable(subj, "kubelet", n.KubeletVersion))
			continue
		}
		if n.Kubelet.IsPreRelease() {
			e.add(Finding{
				ID: PreRelease, Severity: Info, Subject: subj,
				Rule:    "Pre-releases are for testing, not production.",
				Message: fmt.Sprintf("kubelet runs pre-release %s", n.Kubelet),
				Fix:     fmt.Sprintf("move %s to a GA release when one is out", n.Name),
			})
		}
		if !e.ok {
			continue
		}
		e.kubelet(n, target)
		e.kubeProxy(n)
	}
}

func (e *evaluation) kubelet(n *cluster.Node, target *version.Target) {
	subj, kv := "node/"+n.Name, *n.Kubelet
	k := KubeletWindow(kv)
	// A K3s/RKE2 server's kubelet is its own control plane's binary: while servers
	// move one by one, ServersMixed reports it; an agent ahead of any server is an error.
	embeddedServer := n.Role.IsServer() && (e.inv.Distro.IsRancherDistro())
	if kv.MinorsAhead(e.amin) > 0 && !embeddedServer {
		rule, msg := e.texts(KubeletNewer, kv, func() (string, string) {
			return "A kubelet must not be newer than the oldest kube-apiserver.",
				fmt.Sprintf("kubelet %s is newer than kube-apiserver %s", kv, e.amin)
		})
		e.add(Finding{
			ID: KubeletNewer, Severity: Error, Subject: subj, Rule: rule, Message: msg,
			Fix: "upgrade every server to " + kv.MinorString() + " first (servers before agents); " + n.Name + "'s kubelet then fits",
		})
	}
	if behind := e.amax.MinorsAhead(kv); behind > k {
		rule, msg := e.texts(KubeletTooOld, kv, func() (string, string) {
			return fmt.Sprintf("A kubelet of %s may be at most %d minors older than the newest kube-apiserver.", kv.MinorString(), k),
				fmt.Sprintf("kubelet %s is %d minors behind kube-apiserver %s (at most %d allowed)", kv, behind, e.amax, k)
		})
		e.add(Finding{
			ID: KubeletTooOld, Severity: Error, Subject: subj, Rule: rule, Message: msg,
			Fix: kubeletCatchUp(n.Name, kv.MinorVersion(), e.amax.MinorVersion().Add(-k)),
		})
		return
	}
	if target != nil {
		return // the target rules say what blocks the move; the next-minor warning would repeat it
	}
	next := e.amax.MinorVersion().Add(1)
	if behind := next.Sub(kv.MinorVersion()); behind > k {
		rule, msg := e.texts(KubeletBlocksNext, kv, func() (string, string) {
			return fmt.Sprintf("Before the control plane moves to a minor T, every kubelet must be at least T-%d.", k),
				fmt.Sprintf("kubelet %s would be %d minors behind a control plane on %s (at most %d allowed)", kv, behind, next, k)
		})
		e.add(Finding{
			ID: KubeletBlocksNext, Severity: Warning, Subject: subj, Rule: rule, Message: msg,
			Fix: "upgrade " + n.Name + " to " + next.Add(-k).String() + " before moving the control plane to " + next.String(),
		})
	}
}

// texts returns a rule's Rule and Message for one version, built once per version:
// thousands of nodes share a handful of versions, and only Subject and Fix name the node.
func (e *evaluation) texts(id string, v version.Version, build func() (string, string)) (string, string) {
	key := id + " " + v.String()
	if t, ok := e.memo[key]; ok {
		return t[0], t[1]
	}
	if e.memo == nil {
		e.memo = map[string][2]string{}
	}
	rule, msg := build()
	e.memo[key] = [2]string{rule, msg}
	return rule, msg
}

func (e *evaluation) kubeProxy(n *cluster.Node) {
	if n.KubeProxy == nil || n.KubeProxySource == cluster.SourceEmbedded {
		// Embedded kube-proxy (K3s) is the kubelet: the kubelet rules already cover it.
		if n.KubeProxy == nil && n.KubeProxyVersion != "" {
			e.add(unparsable("kube-proxy/"+n.Name, "kube-proxy", n.KubeProxyVersion))
		}
		return
	}
	subj, pv := "kube-proxy/"+n.Name, *n.KubeProxy
	k := KubeletWindow(pv)
	if pv.MinorsAhead(e.amin) > 0 {
		e.add(Finding{
			ID: KubeProxyNewer, Severity: Error, Subject: subj,
			Rule:    "kube-proxy must not be newer than the oldest kube-apiserver.",
			Message: fmt.Sprintf("kube-proxy %s on %s is newer than kube-apiserver %s", pv, n.Name, e.amin),
			Fix:     fmt.Sprintf("upgrade every kube-apiserver to %s first, or roll kube-proxy back to %s", pv.MinorString(), e.amin.MinorString()),
		})
	}
	if behind := e.amax.MinorsAhead(pv); behind > k {
		e.add(Finding{
			ID: KubeProxyTooOld, Severity: Error, Subject: subj,
			Rule:    fmt.Sprintf("kube-proxy of %s may be at most %d minors older than the newest kube-apiserver.", pv.MinorString(), k),
			Message: fmt.Sprintf("kube-proxy %s on %s is %d minors behind kube-apiserver %s (at most %d allowed)", pv, n.Name, behind, e.amax, k),
			Fix:     fmt.Sprintf("upgrade kube-proxy on %s to at least %s", n.Name, e.amax.MinorVersion().Add(-k)),
		})
	}
	if n.Kubelet != nil {
		d := pv.MinorsAhead(*n.Kubelet)
		if d < 0 {
			d = -d
		}
		if d > k {
			e.add(Finding{
				ID: KubeProxyKubeletSkew, Severity: Error, Subject: subj,
				Rule:    fmt.Sprintf("kube-proxy of %s must be within %d minors of the kubelet on its node.", pv.MinorString(), k),
				Message: fmt.Sprintf("kube-proxy %s and kubelet %s on %s are %d minors apart (at most %d allowed)", pv, n.Kubelet, n.Name, d, k),
				Fix:     fmt.Sprintf("bring kube-proxy and the kubelet on %s to the same minor", n.Name),
			})
		}
	}
}
