package hazard

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var (
	k3s     = []version.Distro{version.K3s}
	rke2    = []version.Distro{version.RKE2}
	rancher = []version.Distro{version.K3s, version.RKE2}

	// NodeAuthzMinimums are the January 2025 K3s patches that carry the RBAC
	// compatibility for node authorization by selectors: the embedded flannel of an older
	// K3s cannot list nodes once the servers run v1.32. The change is K3s's own code, not
	// a bundled component, so the patches are the facts.
	NodeAuthzMinimums = []version.Version{
		version.MustParse("v1.29.13"), version.MustParse("v1.30.9"), version.MustParse("v1.31.5"),
	}

	rke2TraefikDefault = version.MustParse("v1.36.0+rke2r1")
)

// brings reports whether a hop may move component c across boundary: Yes or Maybe (a
// release the data does not know is never taken to be safe).
func brings(h Hop, c string, boundary version.Version) bool {
	x := h.data()
	return crosses(x, h.From, h.To, c, boundary) != No
}

// reaches reports whether the hop's release may ship component c at boundary or later.
func reaches(h Hop, c string, boundary version.Version) bool {
	return atLeast(h.data(), h.To, c, boundary) != No
}

// Table is every known hop hazard. IDs are stable: never renumber or reuse one.
var Table = []Entry{
	{
		ID: "SKEW901", Title: "K3s bundles Traefik v3: traefik.containo.us objects and v2-only router rules stop working",
		Distros: rancher, When: "from a release bundling Traefik 2 to one bundling Traefik 3 (release data; K3s from v1.32.2+k3s1)",
		Applies:  func(h Hop) bool { return brings(h, release.Traefik, traefik3) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactTraefikV2}, Judge: judgeTraefikV2,
		Fix:    "migrate the objects to traefik.io/v1alpha1 and v3 rule syntax (or pin Traefik v2 via HelmChartConfig) before the hop",
		Source: "https://github.com/k3s-io/k3s/pull/11694",
	},
	{
		ID: "SKEW902", Title: "Node authorization by selectors (v1.32): K3s's embedded flannel on older patches cannot list nodes",
		Distros: k3s, When: "to v1.32 while a node runs older than v1.31.5 / v1.30.9 / v1.29.13",
		Applies:  func(h Hop) bool { return h.CrossesMinor(32) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes}, Judge: judgeNodeAuthz,
		Fix:    "upgrade every node to at least v1.31.5 / v1.30.9 / v1.29.13 of its minor before the servers move to v1.32",
		Source: "https://github.com/k3s-io/k3s/pull/11569",
	},
	{
		ID: "SKEW903", Title: "etcd 3.5 to 3.6: removed members can rejoin and quorum is lost unless every member ran etcd v3.5.26 first",
		Distros: rancher, When: "to a release bundling etcd 3.6 while an etcd member's release bundles etcd older than v3.5.26, or back from 3.6 to 3.5 (release data; later v1.33 patches, every v1.34)",
		Applies:  func(h Hop) bool { return true },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes}, Judge: judgeEtcd36,
		Fix:    "first move every etcd member to a release bundling etcd v3.5.26 or a later 3.5 (plan inserts one), let etcd settle, then take the hop; never go back from 3.6",
		Source: "https://etcd.io/blog/2025/zombie_members_upgrade/",
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
		Fix:    "move the node to a cgroup v2 host, or pass --kubelet-arg=fail-cgroupv1=false (where the evidence says likely, confirm on the node first)",
		Source: "https://github.com/kubernetes/kubernetes/pull/134298",
	},
	{
		ID: "SKEW906", Title: "A kubelet or apiserver flag removed upstream, or a feature gate locked or removed, is still passed: the process will not start",
		Distros: rancher, When: "to the minor that removes the flag, or locks or removes the gate",
		Applies:  func(h Hop) bool { return len(removedFlagsOn(h)) > 0 || len(gatesOn(h)) > 0 },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes}, Judge: judgeRemovedFlags,
		Fix:    "drop the flag (see the replacement) or the feature gate from the node's config.yaml or command line before the hop",
		Source: "https://kubernetes.io/releases/notes/",
	},
	{
		ID: "SKEW907", Title: "containerd 2.0: a custom containerd 1.7 template naming what 2.0 removed stops containerd",
		Distros: rancher, When: "a node on containerd 1.x to a release bundling containerd 2 (release data; K3s/RKE2 v1.31.6 / v1.32.2 and later)",
		Applies:  func(h Hop) bool { return reaches(h, release.Containerd, containerd20) },
		Severity: policy.Warning, Needs: []Fact{FactNodes}, Judge: judgeContainerd2,
		Fix:    "if the node has a custom config.toml.tmpl, drop what containerd 2.0 removed from it, or write config-v3.toml.tmpl in version 3 syntax beside it, before the hop",
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
		ID: "SKEW909", Title: "RKE2 v1.36 makes Traefik the default ingress for new clusters; the core airgap images carry Traefik instead of ingress-nginx",
		Distros: rke2, When: "to v1.36.0 or later", Applies: func(h Hop) bool { return h.Crosses(rke2TraefikDefault) },
		Severity: policy.Warning, Needs: []Fact{FactNodes, FactHelmCharts}, Judge: judgeRKE2Ingress,
		Fix:    "air-gapped nodes: ship the ingress-nginx image tarball with the hop (or set ingress-controller: ingress-nginx explicitly and keep its images); or migrate to Traefik",
		Source: "https://github.com/rancher/rke2/pull/10037",
	},
	{
		ID: "SKEW910", Title: "ingress-nginx 1.12 lowers annotations-risk-level to High: snippet annotations (Critical) are rejected",
		Distros: rke2, When: "from a release bundling ingress-nginx older than 1.12 to one bundling 1.12 or later (release data; the January 2025 patches)",
		Applies:  func(h Hop) bool { return brings(h, release.IngressNginx, nginx112) },
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
		ID: "SKEW912", Title: "A stricter bundled Traefik chart: HelmChartConfig values it does not know fail the install",
		Distros: rancher, When: "to a release whose Traefik marks chart v38 (Traefik 3.6, February 2026) or v40 (Traefik 3.7, June 2026) from one before it (release data)",
		Applies: func(h Hop) bool {
			_, ok := traefikSchemaFor(h)
			return ok
		},
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactHelmCharts}, Judge: judgeTraefikValues,
		Fix:    "edit HelmChartConfig kube-system/traefik (rke2-traefik on RKE2): drop or move the keys the new chart rejects (kubernetesIngressNginx becomes kubernetesIngressNGINX in v40)",
		Source: "https://github.com/traefik/traefik-helm-chart/releases/tag/v40.0.0",
	},
	{
		ID: "SKEW914", Title: "RKE2 refuses a versioned CIS profile (profile: cis-1.23) from v1.30: the server does not start",
		Distros: rke2, When: "to v1.30 while a node passes --profile cis-1.x",
		Applies:  func(h Hop) bool { return h.CrossesMinor(30) },
		Severity: policy.Error, Blocking: true, Needs: []Fact{FactNodes}, Judge: judgeCISProfile,
		Fix:    "set profile: cis in the node's config.yaml (or --profile cis) before the hop",
		Source: "https://github.com/rancher/rke2/pull/5781",
	},
	{
		ID: "SKEW913", Title: "containerd 2.1 no longer pulls Docker image manifest schema 1",
		Distros: rancher, When: "a node on containerd 2.0 to a release bundling containerd 2.1 or later (release data; a node on 1.x is SKEW907's, which says so)",
		Applies:  func(h Hop) bool { return reaches(h, release.Containerd, containerd21) },
		Severity: policy.Warning, Needs: []Fact{FactNodes}, Judge: judgeContainerd21,
		Fix:    "re-push any image that exists only as Docker schema 1 (images built before 2017 with old Docker) as schema 2 or OCI before the hop",
		Source: "https://github.com/containerd/containerd/pull/11681",
	},
}
