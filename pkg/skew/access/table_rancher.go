package access

// The Rancher mode (--rancher-cluster) works on the management cluster: a provisioned
// Cluster (provisioning.cattle.io, in a namespace such as fleet-default) or an
// imported one (management.cattle.io, cluster-scoped, named c-m-…).

var settingsRule = Rule{Group: "management.cattle.io", Resource: "settings", Verbs: []string{"get"},
	Why: "Rancher's version and the Kubernetes versions it supports (settings)"}

// provisioned is what a run on a provisioned Cluster reads, and the patch that
// changes it (why).
func provisioned(patch string) []Rule {
	return []Rule{
		{Group: "provisioning.cattle.io", Resource: "clusters", Verbs: []string{"get"}, Scope: Rancher, Why: "the Cluster: its version, upgrade strategy and conditions"},
		{Group: "provisioning.cattle.io", Resource: "clusters", Verbs: []string{"patch"}, Scope: Rancher, Why: patch},
		{Group: "rke.cattle.io", Resource: "rkecontrolplanes", Verbs: []string{"get"}, Scope: Rancher, Why: "the Cluster's control plane: the version it applied, a restore under way"},
		{Group: "rke.cattle.io", Resource: "etcdsnapshots", Verbs: []string{"list"}, Scope: Rancher, Why: "the Cluster's etcd snapshots"},
		{Group: "cluster.x-k8s.io", Resource: "machines", Verbs: []string{"list"}, Scope: Rancher, Why: "the Cluster's Machines: its nodes, their roles and versions"},
		settingsRule,
	}
}

// imported is what a run on an imported cluster reads, and the patch that changes
// its management Cluster (why).
func imported(patch string) []Rule {
	return []Rule{
		{Group: "management.cattle.io", Resource: "clusters", Verbs: []string{"get"}, Named: true, Why: "the imported cluster's management Cluster: its version, strategy and status"},
		{Group: "management.cattle.io", Resource: "clusters", Verbs: []string{"patch"}, Named: true, Why: patch},
		{Group: "management.cattle.io", Resource: "nodes", Verbs: []string{"list"}, Scope: Imported, Why: "its nodes as Rancher sees them (in the namespace named after the cluster's id)"},
		settingsRule,
		{Group: "management.cattle.io", Resource: "clusters", Verbs: []string{"list"}, Optional: true,
			Why: "find the cluster by its display name; without it, name it by its id (c-m-…)"},
	}
}

// rancherTable is the Rancher mode's sets, appended to Table.
var rancherTable = []Set{
	{Name: "upgrade-rancher", Command: "upgrade", Driver: "rancher, provisioned", Writes: true,
		Rules: provisioned("set the Cluster's spec.kubernetesVersion, one hop at a time, and take a snapshot before each (not with --dry-run)")},
	{Name: "upgrade-rancher-imported", Command: "upgrade", Driver: "rancher, imported", Writes: true,
		Rules: imported("set the Cluster's Kubernetes version and upgrade strategy, one hop at a time (not with --dry-run)")},
	{Name: "rollback-rancher", Command: "rollback", Driver: "rancher, provisioned", Writes: true,
		Rules: provisioned("ask Rancher to restore the snapshot (the Cluster's spec.rkeConfig.etcdSnapshotRestore; not with --dry-run)")},
	{Name: "abort-rancher-imported", Command: "abort", Driver: "rancher, imported", Writes: true,
		Rules: imported("the abort annotation a run reads before its next hop (not with --dry-run)")},
}

func init() { Table = append(Table, rancherTable...) }
