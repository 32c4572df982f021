package hazard

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var (
	k3s     = []version.Distro{version.K3s}
	rke2    = []version.Distro{version.RKE2}
	rancher = []version.Distro{version.K3s, version.RKE2}

	// traefikV3 is the first K3s release bundling Traefik v3 (v1.32.0 and v1.32.1 still
	// ship 2.11).
	traefikV3 = version.MustParse("v1.32.2+k3s1")

	// NodeAuthzMinimums are the January 2025 patches that carry the RBAC compatibility
	// for node authorization by selectors: a kubelet older than these cannot list nodes
	// once the servers run v1.32. Same patch numbers on K3s and RKE2.
	NodeAuthzMinimums = []version.Version{
		version.MustParse("v1.29.13"), version.MustParse("v1.30.9"), version.MustParse("v1.31.5"),
	}

	// EtcdMinimums are, per distribution, the first v1.32 and v1.33 releases embedding
	// etcd v3.5.26 (the only release etcd 3.6 can safely upgrade from).
	EtcdMinimums = map[version.Distro][]version.Version{
		version.K3s:  {version.MustParse("v1.32.11+k3s1"), version.MustParse("v1.33.7+k3s1")},
		version.RKE2: {version.MustParse("v1.32.11+rke2r3"), version.MustParse("v1.33.7+rke2r3")},
	}

	// snippetPatches are RKE2's January 2025 patches bundling ingress-nginx 1.12, which
	// rejects snippet annotations unless annotations-risk-level is Critical.
	snippetPatches = []version.Version{
		version.MustParse("v1.29.13+rke2r1"), version.MustParse("v1.30.9+rke2r1"),
		version.MustParse("v1.31.5+rke2r1"), version.MustParse("v1.32.1+rke2r1"),
	}

	// containerd2 are the first K3s/RKE2 patches bundling containerd 2.0 (February 2025).
	containerd2 = []version.Version{version.MustParse("v1.31.6"), version.MustParse("v1.32.2")}

	rke2TraefikDefault = version.MustParse("v1.36.0+rke2r1")
)

// Table is every known hop hazard. IDs are stable: never renumber or reuse one.
var Table = []Entry{
	{
		ID: "SKEW901", Title: "K3s bundles Traefik v3: traefik.containo.us objects and v2-only router rules stop working",
		Distros: k3s, When: "to v1.32.2+k3s1 or later", Applies: func(h Hop) bool { return h.Crosses(traefikV3) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactTraefikV2}, Judge: judgeTraefikV2,
		Fix:    "migrate the objects to traefik.io/v1alpha1 and v3 rule syntax (or pin Traefik v2 via HelmChartConfig) before the hop",
		Source: "https://github.com/k3s-io/k3s/pull/11694",
	},
	{
		ID: "SKEW902", Title: "Node authorization by selectors (v1.32): kubelets on older patches cannot list nodes",
		Distros: rancher, When: "to v1.32 while a node runs older than v1.31.5 / v1.30.9 / v1.29.13",
		Applies:  func(h Hop) bool { return h.CrossesMinor(32) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes}, Judge: judgeNodeAuthz,
		Fix:    "upgrade every node to at least v1.31.5 / v1.30.9 / v1.29.13 of its minor before the servers move to v1.32",
		Source: "https://github.com/k3s-io/k3s/issues/11551",
	},
	{
		ID: "SKEW903", Title: "etcd 3.5 to 3.6 (v1.34): removed members can rejoin and quorum is lost unless etcd v3.5.26 ran first",
		Distros: rancher, When: "to v1.34 from a release older than the v1.32/v1.33 patch embedding etcd v3.5.26",
		Applies:  func(h Hop) bool { return h.CrossesMinor(34) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes}, Judge: judgeEtcd36,
		Fix:    "first upgrade the servers to a v1.33 (or v1.32) patch embedding etcd v3.5.26, let etcd settle, then hop to v1.34",
		Source: "https://github.com/k3s-io/k3s/pull/13493",
	},
	{
		ID: "SKEW904", Title: "node-role.kubernetes.io/master is no longer set (v1.34): selectors, affinities and tolerations on it match nothing",
		Distros: rancher, When: "to v1.34",
		Applies:  func(h Hop) bool { return h.CrossesMinor(34) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactWorkloads, FactPlans}, Judge: judgeMasterLabel,
		Fix:    "select on node-role.kubernetes.io/control-plane instead",
		Source: "https://github.com/k3s-io/k3s/pull/12395",
	},
	{
		ID: "SKEW905", Title: "The kubelet refuses cgroup v1 hosts by default (v1.35)",
		When: "to v1.35", Applies: func(h Hop) bool { return h.CrossesMinor(35) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes, FactNodeEvents}, Judge: judgeCgroupV1,
		Fix:    "move the node to a cgroup v2 host, or pass --kubelet-arg=fail-cgroupv1=false",
		Source: "https://github.com/kubernetes/kubernetes/pull/134298",
	},
	{
		ID: "SKEW906", Title: "A kubelet or apiserver flag removed upstream is still passed: the process will not start",
		Distros: rancher, When: "to the minor that removes the flag",
		Applies:  func(h Hop) bool { return len(removedFlagsOn(h)) > 0 },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes}, Judge: judgeRemovedFlags,
		Fix:    "drop the flag from the node's config.yaml or command line (see the replacement) before the hop",
		Source: "https://kubernetes.io/releases/notes/",
	},
	{
		ID: "SKEW907", Title: "containerd 2.0: a custom config.toml.tmpl is no longer read (config-v3.toml.tmpl)",
		Distros: rancher, When: "to v1.31.6 / v1.32.2 or later from containerd 1.7",
		Applies:  func(h Hop) bool { return h.CrossesPatches(containerd2) },
		Severity: policy.Warning, Needs: []Fact{FactNodes}, Judge: judgeContainerd2,
		Fix:    "if the node has a custom containerd template, copy it to config-v3.toml.tmpl in containerd 2 syntax before the hop",
		Source: "https://github.com/k3s-io/k3s/pull/11626",
	},
	{
		ID: "SKEW908", Title: "A bundled chart's install is stuck: failed helm-install Job or Helm release pending",
		When: "any hop", Applies: func(Hop) bool { return true },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactHelmInstall, FactHelmReleases}, Judge: judgeStuckHelm,
		Fix:    "fix the failed install (kubectl logs job/<name> -n kube-system) or roll the pending release back before the hop",
		Source: "https://github.com/k3s-io/k3s/issues/11815",
	},
	{
		ID: "SKEW909", Title: "RKE2 v1.36 makes Traefik the default ingress; ingress-nginx leaves the airgap images",
		Distros: rke2, When: "to v1.36.0 or later", Applies: func(h Hop) bool { return h.Crosses(rke2TraefikDefault) },
		Severity: policy.Warning, Needs: []Fact{FactNodes, FactHelmCharts}, Judge: judgeRKE2Ingress,
		Fix:    "set ingress-controller: ingress-nginx explicitly (and ship its images) or migrate to Traefik before the hop",
		Source: "https://github.com/rancher/rke2/pull/10037",
	},
	{
		ID: "SKEW910", Title: "ingress-nginx 1.12 lowers annotations-risk-level to High: snippet annotations (Critical) are rejected",
		Distros: rke2, When: "to the January 2025 patches (v1.29.13, v1.30.9, v1.31.5, v1.32.1)",
		Applies:  func(h Hop) bool { return h.CrossesPatches(snippetPatches) },
		Severity: policy.Error, Needs: []Fact{FactIngresses, FactHelmCharts}, Judge: judgeSnippets,
		Fix:    "remove the *-snippet annotations, or set controller.config.annotations-risk-level: Critical (with allow-snippet-annotations: \"true\") in HelmChartConfig rke2-ingress-nginx",
		Source: "https://github.com/kubernetes/ingress-nginx/blob/main/changelog/controller-1.12.0.md",
	},
	{
		ID: "SKEW911", Title: "kube-proxy IPVS mode is deprecated (v1.35); v1.37 adds the KubeProxyIPVS gate, planned off by default in v1.40",
		When: "to v1.35", Applies: func(h Hop) bool { return h.CrossesMinor(35) },
		Severity: policy.Info, Needs: []Fact{FactNodes}, Judge: judgeIPVS,
		Fix:    "plan a move to proxy-mode=nftables (or iptables) before the gate turns IPVS off",
		Source: "https://github.com/kubernetes/kubernetes/pull/134539",
	},
	{
		ID: "SKEW912", Title: "K3s bundles a stricter Traefik chart: HelmChartConfig traefik values it does not know fail the install",
		Distros: k3s, When: "to the patches bundling chart v38 (Feb 2026: v1.33.8, v1.34.4, v1.35.0+k3s3) or v40 (Jul 2026: v1.33.13+k3s2, v1.34.10, v1.35.7, v1.36.3)",
		Applies: func(h Hop) bool {
			return h.CrossesPatches(traefikChart38) || h.CrossesPatches(traefikChart40)
		},
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactHelmCharts}, Judge: judgeTraefikValues,
		Fix:    "edit HelmChartConfig kube-system/traefik: drop or move the keys the new chart rejects (kubernetesIngressNginx becomes kubernetesIngressNGINX in v40)",
		Source: "https://github.com/k3s-io/k3s/releases/tag/v1.35.7%2Bk3s1",
	},
}
