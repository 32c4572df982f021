package policy

// Finding IDs. They are part of the public interface (CI pipelines filter on them):
// never renumber or reuse one. The README documents each.
const (
	APIServerHASkew = "SKEW001" // kube-apiservers more than one minor apart
	ServersMixed    = "SKEW002" // servers on different versions: upgrade in progress or stuck

	KubeletNewer      = "SKEW101" // kubelet newer than the oldest kube-apiserver
	KubeletTooOld     = "SKEW102" // kubelet more than K minors behind the newest kube-apiserver
	KubeletBlocksNext = "SKEW103" // kubelet would fall out of skew when the control plane moves one minor

	KubeProxyNewer       = "SKEW201" // kube-proxy newer than the oldest kube-apiserver
	KubeProxyTooOld      = "SKEW202" // kube-proxy more than K minors behind the newest kube-apiserver
	KubeProxyKubeletSkew = "SKEW203" // kube-proxy more than K minors from its node's kubelet

	ComponentNewer  = "SKEW301" // controller-manager/scheduler/cloud-controller-manager newer than the oldest kube-apiserver
	ComponentTooOld = "SKEW302" // ... more than one minor behind the newest kube-apiserver

	KubectlSkew = "SKEW401" // kubectl more than one minor from a kube-apiserver

	UnparsableVersion   = "SKEW501" // a version string that cannot be read
	NoNodes             = "SKEW502" // the cluster has no nodes
	ControlPlaneUnknown = "SKEW503" // no kube-apiserver version could be read
	PreRelease          = "SKEW504" // a node runs an alpha, beta or rc build

	TargetSkipsMinor       = "SKEW601" // --target is more than one minor ahead
	TargetDowngrade        = "SKEW602" // --target is older than the control plane
	TargetKubeletOutOfSkew = "SKEW603" // a kubelet would fall out of skew at --target
	TargetWrongDistro      = "SKEW604" // --target is a release of another distribution
	RancherUnsupported     = "SKEW605" // --rancher-cluster: the target is outside the versions the Rancher supports

	ManualUpgrade = "SKEW701" // a node no upgrade image can upgrade (Windows, another architecture): upgrade it by hand
	LeftOut       = "SKEW702" // a node the operator left out of the upgrade (--node-selector, kubectl-skew.io/exclude=true)

	// Deprecated and removed APIs (--target, plan, the upgrade's deprecated-apis check).
	HelmRemovedAPI         = "SKEW801" // a Helm release's manifest uses an API that the target, or a minor on the way, removes
	HelmDeprecatedAPI      = "SKEW802" // a Helm release's manifest uses an API the target deprecates
	HelmKubeVersion        = "SKEW803" // a chart's kubeVersion excludes a hop's version
	HelmUnreadable         = "SKEW804" // a Helm release too large or corrupt to read
	ObjectRemovedAPI       = "SKEW811" // a live object was last applied with an API that is removed on the way
	ObjectDeprecatedAPI    = "SKEW812" // a live object was last applied with an API the target deprecates
	FileRemovedAPI         = "SKEW821" // a -f manifest uses an API that is removed on the way
	FileDeprecatedAPI      = "SKEW822" // a -f manifest uses an API the target deprecates
	FileUnreadable         = "SKEW823" // a -f document that is not YAML or JSON
	RequestedRemovedAPI    = "SKEW831" // /metrics: a client requested an API that is removed on the way
	RequestedDeprecatedAPI = "SKEW832" // /metrics: a client requested an API the target deprecates

	// SKEW9xx are hop hazards: each entry of the table in pkg/skew/hazard (table.go)
	// carries its own ID there, and docs/hazards.md is generated from it.
)
