package access

import "slices"

// Rules every command that reads the cluster's versions shares.
var inventory = []Rule{
	{Resource: "nodes", Verbs: []string{"list"}, Why: "the nodes: kubelet versions, roles, the distribution"},
	{Resource: "pods", Verbs: []string{"list"}, Scope: KubeSystem, Optional: true,
		Why: "the static control-plane pods and kube-proxy, for their versions; without it they are reported skipped"},
}

// gatePods are the pods an upgrade's gates follow through a watch: without them the
// control plane's static pods are reported skipped and the gates judge the kubelets only.
var gatePods = []Rule{
	{Resource: "pods", Verbs: []string{"list", "watch"}, Scope: KubeSystem, Optional: true,
		Why: "the static control-plane pods and kube-proxy, for their versions, followed through a watch; without it they are reported skipped"},
}

// judging are the reads of the judging on the way to a target (pkg/skew/judge): the
// removed-API scan and the hop hazards. Each one that is forbidden is reported
// skipped with its reason, never passed.
func judging(f Feature) []Rule {
	rules := []Rule{
		{Resource: "secrets", Verbs: []string{"list"}, Optional: true,
			Why: "removed-API scan: Helm 3 release Secrets (label owner=helm), and the hazards' pending Helm releases; RBAC cannot narrow a list by label, so this reads every Secret"},
		{Resource: "configmaps", Verbs: []string{"list"}, Optional: true, Why: "removed-API scan: Helm releases stored in ConfigMaps (label owner=helm)"},
		{URL: "/metrics", Verbs: []string{"get"}, Optional: true, Why: "removed-API scan: the apiserver's requested-deprecated-apis gauge (clients still calling a removed API)"},
		{Resource: "events", Verbs: []string{"list"}, Optional: true, Why: "hazards: the kubelets' CgroupV1 warnings on Nodes"},
		{Group: "apps", Resource: "deployments", Verbs: []string{"list"}, Optional: true, Why: "hazards: pod templates (node selectors, affinities, tolerations)"},
		{Group: "apps", Resource: "daemonsets", Verbs: []string{"list"}, Optional: true, Why: "hazards: pod templates (node selectors, affinities, tolerations)"},
		{Group: "apps", Resource: "statefulsets", Verbs: []string{"list"}, Optional: true, Why: "hazards: pod templates (node selectors, affinities, tolerations)"},
		{Group: "networking.k8s.io", Resource: "ingresses", Verbs: []string{"list"}, Optional: true, Why: "hazards: ingress-nginx annotations (snippets)"},
		{Group: "upgrade.cattle.io", Resource: "plans", Verbs: []string{"list"}, Optional: true, Why: "hazards: every Plan's node selectors and tolerations; upgrade's preflight: Rancher's own Plans in cattle-system, which would fight ours"},
		{Group: "batch", Resource: "jobs", Verbs: []string{"list"}, Scope: KubeSystem, Optional: true, Why: "hazards: failed helm-install Jobs"},
		{Group: "helm.cattle.io", Resource: "helmcharts", Verbs: []string{"list"}, Scope: KubeSystem, Optional: true, Why: "hazards: the bundled charts' values"},
		{Group: "helm.cattle.io", Resource: "helmchartconfigs", Verbs: []string{"list"}, Scope: KubeSystem, Optional: true, Why: "hazards: the bundled charts' values"},
		{Group: "traefik.containo.us", Resource: "*", Verbs: []string{"list"}, Optional: true, Why: "hazards: objects of the Traefik v2 API group, when it is served"},
	}
	for i := range rules {
		rules[i].Feature = f
	}
	return rules
}

// jobFailure is what status and upgrade read to say why an upgrade Job failed.
var jobFailure = []Rule{
	{Resource: "pods", Verbs: []string{"list"}, Scope: SUC, Optional: true, Why: "why an upgrade Job failed: its pods"},
	{Resource: "pods/log", Verbs: []string{"get"}, Scope: SUC, Optional: true, Why: "why an upgrade Job failed: the last lines of its pod's log"},
	{Resource: "events", Verbs: []string{"list"}, Scope: SUC, Optional: true, Why: "why an upgrade Job failed: its events"},
	{Resource: "pods", Verbs: []string{"get"}, Optional: true, Why: "what blocked a failed drain: the pod the eviction refused"},
	{Group: "policy", Resource: "poddisruptionbudgets", Verbs: []string{"list"}, Optional: true, Why: "what blocked a failed drain: the PodDisruptionBudget that refused it"},
}

func withFeature(rules []Rule, f Feature) []Rule {
	out := slices.Clone(rules)
	for i := range out {
		out[i].Feature = f
	}
	return out
}

func join(parts ...[]Rule) []Rule {
	var out []Rule
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Table is every command's permissions. Order within a set is the manifests' and the
// checks' order.
var Table = []Set{
	{Name: "check", Command: "check", Rules: join(inventory, judging(Target))},
	{Name: "plan", Command: "plan", Rules: join(inventory, judging(Always))},
	{Name: "status", Command: "status", Rules: join([]Rule{
		{Group: "upgrade.cattle.io", Resource: "plans", Verbs: []string{"list"}, Scope: SUC, Why: "our Plans: where the upgrade stands"},
		{Group: "batch", Resource: "jobs", Verbs: []string{"list"}, Scope: SUC, Why: "the Plans' upgrade Jobs: which node is upgrading, which failed"},
		{Resource: "nodes", Verbs: []string{"list"}, Why: "the nodes' versions and cordons"},
		{Resource: "configmaps", Verbs: []string{"get"}, Scope: KubeSystem, Optional: true, Why: "the run record of --driver command or manual (kubectl-skew-run)"},
	}, jobFailure)},
	{Name: "abort", Command: "abort", Writes: true, Rules: []Rule{
		{Group: "upgrade.cattle.io", Resource: "plans", Verbs: []string{"get", "list", "patch", "delete"}, Scope: SUC, Why: "our Plans: narrowed to the nodes upgrading (patch), then deleted"},
		{Group: "batch", Resource: "jobs", Verbs: []string{"list"}, Scope: SUC, Why: "the upgrade Jobs in flight, which finish first"},
		{Resource: "pods", Verbs: []string{"list"}, Scope: SUC, Why: "waiting for the upgrade pods to end"},
		{Resource: "nodes", Verbs: []string{"list", "patch"}, Why: "uncordon the nodes our Plans cordoned"},
		{Resource: "configmaps", Verbs: []string{"get", "update"}, Scope: KubeSystem, Why: "stop a run of --driver command or manual: its record (kubectl-skew-run) carries the abort"},
	}},
	{Name: "rollback", Command: "rollback", Rules: join([]Rule{
		{Group: "upgrade.cattle.io", Resource: "plans", Verbs: []string{"list"}, Scope: SUC, Why: "our Plans: the hop to roll back"},
		{Group: "batch", Resource: "jobs", Verbs: []string{"list"}, Scope: SUC, Feature: Runbook, Why: "the Plans' upgrade Jobs: where the hop stands"},
		{Resource: "nodes", Verbs: []string{"list"}, Why: "the servers and agents the runbook names, their datastore"},
		{Resource: "configmaps", Verbs: []string{"get"}, Scope: KubeSystem, Feature: Runbook, Why: "the run record of --driver command or manual: the hop it last ran"},
		{Group: "k3s.cattle.io", Resource: "etcdsnapshotfiles", Verbs: []string{"list"}, Feature: Runbook, Why: "the etcd snapshot to restore"},
		{Resource: "pods", Verbs: []string{"list"}, Scope: KubeSystem, Optional: true, Why: "--verify: the control-plane pods' versions"},
	}, withFeature(jobFailure, Runbook))},
	{Name: "upgrade", Command: "upgrade", Driver: "suc", Writes: true, Rules: join([]Rule{
		{Resource: "nodes", Verbs: []string{"get", "list", "watch"}, Why: "the inventory, then following each node through a watch"},
		{Resource: "nodes", Verbs: []string{"patch"}, Why: "cordon again a node that was cordoned before the upgrade (the controller uncordons the nodes it upgrades)"},
		{Group: "upgrade.cattle.io", Resource: "plans", Verbs: []string{"get", "list", "watch", "create", "patch", "delete"}, Scope: SUC, Why: "our Plans: applied (server-side apply), followed, the superseded ones deleted"},
		{Group: "upgrade.cattle.io", Resource: "plans", Verbs: []string{"create", "patch"}, Scope: SUC, Feature: ServerDry, Why: "--dry-run=server: the apiserver validates and defaults the Plans (nothing is stored)"},
		{Group: "batch", Resource: "jobs", Verbs: []string{"get", "list", "watch"}, Scope: SUC, Why: "the controller's upgrade Jobs: progress and failures"},
		{Group: "batch", Resource: "jobs", Verbs: []string{"delete"}, Scope: SUC, Feature: RetryFailed, Why: "--retry-failed: delete the failed Jobs of our Plans"},
		{Group: "apps", Resource: "deployments", Verbs: []string{"get"}, Scope: SUC, Why: "preflight: the system-upgrade-controller Deployment is available"},
		{Resource: "serviceaccounts", Verbs: []string{"get"}, Scope: SUC, Why: "preflight: the Jobs' service account exists"},
		{Resource: "secrets", Verbs: []string{"get"}, Scope: SUC, Feature: PullSecrets, Why: "--image-pull-secret: the Secret exists and is a docker config"},
		{Group: "coordination.k8s.io", Resource: "leases", Verbs: []string{"get", "list", "watch"}, Scope: NodeLease, Why: "the server gate: a server's kubelet heartbeat since its upgrade, followed through a watch"},
		{Group: "k3s.cattle.io", Resource: "etcdsnapshotfiles", Verbs: []string{"list"}, Why: "preflight: the newest etcd snapshot; --snapshot: the one its Job took"},
		{Resource: "pods", Verbs: []string{"list"}, Optional: true, Why: "preflight: what the drains would meet (pods without a controller, local storage)"},
		{Resource: "persistentvolumes", Verbs: []string{"list"}, Optional: true, Why: "preflight: volumes bound to one node, which a drained pod cannot follow"},
		{Group: "policy", Resource: "poddisruptionbudgets", Verbs: []string{"list"}, Optional: true, Why: "preflight: budgets that would block a drain"},
		// Cluster-wide, not a Role in cattle-system: that namespace exists only where Rancher runs,
		// and a manifest with a Role in it would not apply elsewhere.
		{Group: "apps", Resource: "deployments", Verbs: []string{"get"}, Optional: true, Why: "preflight: whether Rancher manages the cluster (cattle-system/cattle-cluster-agent)"},
	}, gatePods, jobFailure[:3], judging(Always))},
	{Name: "upgrade-command", Command: "upgrade", Driver: "command, manual", Writes: true, Rules: join([]Rule{
		{Resource: "nodes", Verbs: []string{"get", "list", "watch"}, Why: "the inventory, then each node coming back on its new version"},
		{Resource: "nodes", Verbs: []string{"patch"}, Why: "cordon each node before its upgrade, uncordon it after"},
		{Resource: "pods", Verbs: []string{"list", "get"}, Feature: Drain, Why: "drain: the node's pods, then waiting for the evicted ones to go"},
		{Group: "apps", Resource: "daemonsets", Verbs: []string{"get"}, Feature: Drain, Why: "drain: a DaemonSet pod stays when its DaemonSet exists"},
		{Resource: "pods/eviction", Verbs: []string{"create"}, Feature: Drain, Why: "drain: evict the node's pods (PodDisruptionBudgets apply)"},
		{Resource: "pods", Verbs: []string{"delete"}, Feature: NoEviction, Why: "--drain-disable-eviction: delete the pods instead of evicting them"},
		{Resource: "configmaps", Verbs: []string{"get", "create", "update"}, Scope: KubeSystem, Why: "the run record (kubectl-skew-run): where the run is, for status, abort and a resumed run"},
		{Group: "coordination.k8s.io", Resource: "leases", Verbs: []string{"get", "create", "update"}, Scope: KubeSystem, Why: "the run's Lease (kubectl-skew-run): one run at a time"},
		{Group: "coordination.k8s.io", Resource: "leases", Verbs: []string{"get", "list", "watch"}, Scope: NodeLease, Why: "the server gate: a server's kubelet heartbeat since its upgrade, followed through a watch"},
	}, gatePods, judging(Always))},
	{Name: "watch", Command: "watch", HandWritten: "deploy/watch.yaml", Rules: []Rule{
		{Resource: "nodes", Verbs: []string{"list", "watch"}, Why: "the informer on the nodes (deploy/watch.yaml)"},
		{Resource: "pods", Verbs: []string{"list", "watch"}, Scope: KubeSystem, Why: "the informer on the pods that carry versions: static control-plane pods, kube-proxy (deploy/watch.yaml)"},
	}},
}
