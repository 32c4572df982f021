package hazard

// RemovedFlag is a command-line flag upstream removed; passing it makes the process refuse to start.
type RemovedFlag struct {
	Component   string // "kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"
	Flag        string // without leading dashes, e.g. "pod-infra-container-image"
	Removed     int    // the Kubernetes 1.x minor from which the flag is gone
	Replacement string // one line: what to do instead
	Source      string // URL of the upstream change (kubernetes PR or CHANGELOG)
}

// RemovedFlags lists them, oldest removal first.
//
// Every row is a removal named in the Kubernetes CHANGELOG-1.NN.md of its minor
// (sections "Deprecation", "Other (Cleanup or Flake)" or the must-read notes),
// with the pull request that removed it. Flags only deprecated, feature gates,
// kubectl and kubeadm flags are not listed: they do not stop a node or control
// plane process from starting.
var RemovedFlags = []RemovedFlag{
	// v1.24
	{Component: "kube-apiserver", Flag: "address", Removed: 24, Replacement: "Drop it: the insecure port is gone; use --bind-address and --secure-port.", Source: "https://github.com/kubernetes/kubernetes/pull/106859"},
	{Component: "kube-apiserver", Flag: "deserialization-cache-size", Removed: 24, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/108448"},
	{Component: "kube-apiserver", Flag: "experimental-encryption-provider-config", Removed: 24, Replacement: "Use --encryption-provider-config.", Source: "https://github.com/kubernetes/kubernetes/pull/108423"},
	{Component: "kube-apiserver", Flag: "insecure-bind-address", Removed: 24, Replacement: "Drop it: the insecure port is gone; use --bind-address and --secure-port.", Source: "https://github.com/kubernetes/kubernetes/pull/106859"},
	{Component: "kube-apiserver", Flag: "insecure-port", Removed: 24, Replacement: "Drop it: the insecure port is gone; use --secure-port.", Source: "https://github.com/kubernetes/kubernetes/pull/106859"},
	{Component: "kube-apiserver", Flag: "port", Removed: 24, Replacement: "Drop it: the insecure port is gone; use --secure-port.", Source: "https://github.com/kubernetes/kubernetes/pull/106859"},
	{Component: "kube-apiserver", Flag: "target-ram-mb", Removed: 24, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/108457"},
	{Component: "kube-controller-manager", Flag: "address", Removed: 24, Replacement: "Drop it: use --bind-address and --secure-port.", Source: "https://github.com/kubernetes/kubernetes/pull/106860"},
	{Component: "kube-controller-manager", Flag: "deployment-controller-sync-period", Removed: 24, Replacement: "Drop it: the deployment controller never read it.", Source: "https://github.com/kubernetes/kubernetes/pull/107178"},
	{Component: "kube-controller-manager", Flag: "port", Removed: 24, Replacement: "Drop it: use --secure-port.", Source: "https://github.com/kubernetes/kubernetes/pull/106860"},
	{Component: "kube-scheduler", Flag: "address", Removed: 24, Replacement: "Drop it: use --bind-address.", Source: "https://github.com/kubernetes/kubernetes/pull/106865"},
	{Component: "kube-scheduler", Flag: "port", Removed: 24, Replacement: "Drop it: use --secure-port.", Source: "https://github.com/kubernetes/kubernetes/pull/106865"},
	{Component: "kubelet", Flag: "cni-bin-dir", Removed: 24, Replacement: "Drop it: CNI is configured in the container runtime (containerd) since dockershim's removal.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "cni-cache-dir", Removed: 24, Replacement: "Drop it: CNI is configured in the container runtime (containerd) since dockershim's removal.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "cni-conf-dir", Removed: 24, Replacement: "Drop it: CNI is configured in the container runtime (containerd) since dockershim's removal.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "docker-endpoint", Removed: 24, Replacement: "Drop it: dockershim is gone; point --container-runtime-endpoint at a CRI runtime.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "experimental-check-node-capabilities-before-mount", Removed: 24, Replacement: "Drop it: use CSI drivers.", Source: "https://github.com/kubernetes/kubernetes/pull/104732"},
	{Component: "kubelet", Flag: "experimental-dockershim-root-directory", Removed: 24, Replacement: "Drop it: dockershim is gone.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "image-pull-progress-deadline", Removed: 24, Replacement: "Drop it: dockershim is gone; the CRI runtime owns image pulls.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "network-plugin", Removed: 24, Replacement: "Drop it: the CRI runtime owns pod networking.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "network-plugin-mtu", Removed: 24, Replacement: "Drop it: set the MTU in the CNI configuration.", Source: "https://github.com/kubernetes/kubernetes/pull/106907"},
	{Component: "kubelet", Flag: "non-masquerade-cidr", Removed: 24, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/107096"},
	{Component: "kubelet", Flag: "really-crash-for-testing", Removed: 24, Replacement: "Drop it: it was a test-only switch.", Source: "https://github.com/kubernetes/kubernetes/pull/101719"},
	// v1.25
	{Component: "kube-apiserver", Flag: "service-account-api-audiences", Removed: 25, Replacement: "Use --api-audiences.", Source: "https://github.com/kubernetes/kubernetes/pull/108624"},
	{Component: "kube-controller-manager", Flag: "deleting-pods-burst", Removed: 25, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/109612"},
	{Component: "kube-controller-manager", Flag: "deleting-pods-qps", Removed: 25, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/109612"},
	{Component: "kube-controller-manager", Flag: "experimental-cluster-signing-duration", Removed: 25, Replacement: "Use --cluster-signing-duration.", Source: "https://github.com/kubernetes/kubernetes/pull/108476"},
	{Component: "kube-controller-manager", Flag: "register-retry-count", Removed: 25, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/109612"},
	{Component: "kubelet", Flag: "experimental-kernel-memcg-notification", Removed: 25, Replacement: "Use --kernel-memcg-notification.", Source: "https://github.com/kubernetes/kubernetes/pull/109388"},
	// v1.27
	{Component: "kube-apiserver", Flag: "master-service-namespace", Removed: 27, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/114446"},
	{Component: "kube-controller-manager", Flag: "enable-taint-manager", Removed: 27, Replacement: "Drop it: taint-based eviction is always on.", Source: "https://github.com/kubernetes/kubernetes/pull/115840"},
	{Component: "kube-controller-manager", Flag: "pod-eviction-timeout", Removed: 27, Replacement: "Drop it: set tolerationSeconds on the pods (taint-based eviction).", Source: "https://github.com/kubernetes/kubernetes/pull/115840"},
	{Component: "kubelet", Flag: "container-runtime", Removed: 27, Replacement: "Drop it: the kubelet only talks CRI; keep --container-runtime-endpoint.", Source: "https://github.com/kubernetes/kubernetes/pull/114017"},
	{Component: "kubelet", Flag: "master-service-namespace", Removed: 27, Replacement: "Drop it: it had no effect.", Source: "https://github.com/kubernetes/kubernetes/pull/116015"},
	// v1.28
	{Component: "kube-scheduler", Flag: "lock-object-name", Removed: 28, Replacement: "Use --leader-elect-resource-name.", Source: "https://github.com/kubernetes/kubernetes/pull/119130"},
	{Component: "kube-scheduler", Flag: "lock-object-namespace", Removed: 28, Replacement: "Use --leader-elect-resource-namespace.", Source: "https://github.com/kubernetes/kubernetes/pull/119130"},
	// v1.31
	{Component: "kube-controller-manager", Flag: "horizontal-pod-autoscaler-downscale-delay", Removed: 31, Replacement: "Use --horizontal-pod-autoscaler-downscale-stabilization or the HPA's behavior field.", Source: "https://github.com/kubernetes/kubernetes/pull/124948"},
	{Component: "kube-controller-manager", Flag: "horizontal-pod-autoscaler-upscale-delay", Removed: 31, Replacement: "Drop it: use the HPA's behavior.scaleUp field.", Source: "https://github.com/kubernetes/kubernetes/pull/124948"},
	{Component: "kube-controller-manager", Flag: "volume-host-allow-local-loopback", Removed: 31, Replacement: "Drop it: the in-tree volume plugins that read it are gone.", Source: "https://github.com/kubernetes/kubernetes/pull/124017"},
	{Component: "kube-controller-manager", Flag: "volume-host-cidr-denylist", Removed: 31, Replacement: "Drop it: the in-tree volume plugins that read it are gone.", Source: "https://github.com/kubernetes/kubernetes/pull/124017"},
	{Component: "kube-proxy", Flag: "proxy-port-range", Removed: 31, Replacement: "Drop it: it had no effect since the userspace proxier was removed.", Source: "https://github.com/kubernetes/kubernetes/pull/126293"},
	{Component: "kubelet", Flag: "iptables-drop-bit", Removed: 31, Replacement: "Drop it: kube-proxy owns its iptables rules.", Source: "https://github.com/kubernetes/kubernetes/pull/122363"},
	{Component: "kubelet", Flag: "iptables-masquerade-bit", Removed: 31, Replacement: "Drop it: kube-proxy sets its own mark (its --iptables-masquerade-bit).", Source: "https://github.com/kubernetes/kubernetes/pull/122363"},
	{Component: "kubelet", Flag: "keep-terminated-pod-volumes", Removed: 31, Replacement: "Drop it: volumes of terminated pods are always unmounted.", Source: "https://github.com/kubernetes/kubernetes/pull/122082"},
	// v1.32
	{Component: "kube-proxy", Flag: "healthz-port", Removed: 32, Replacement: "Use --healthz-bind-address with the port (host:port).", Source: "https://github.com/kubernetes/kubernetes/pull/126889"},
	{Component: "kube-proxy", Flag: "metrics-port", Removed: 32, Replacement: "Use --metrics-bind-address with the port (host:port).", Source: "https://github.com/kubernetes/kubernetes/pull/126889"},
	{Component: "kubelet", Flag: "runonce", Removed: 32, Replacement: "Drop it: run-once mode is gone; run the kubelet as a service.", Source: "https://github.com/kubernetes/kubernetes/pull/126336"},
	// v1.33
	{Component: "kube-apiserver", Flag: "cloud-config", Removed: 33, Replacement: "Drop it: run an external cloud-controller-manager.", Source: "https://github.com/kubernetes/kubernetes/pull/130162"},
	{Component: "kube-apiserver", Flag: "cloud-provider", Removed: 33, Replacement: "Drop it: run an external cloud-controller-manager.", Source: "https://github.com/kubernetes/kubernetes/pull/130162"},
	// v1.34
	{Component: "kubelet", Flag: "cloud-config", Removed: 34, Replacement: "Drop it: give the config to the external cloud-controller-manager.", Source: "https://github.com/kubernetes/kubernetes/pull/130161"},
	{Component: "kubelet", Flag: "register-schedulable", Removed: 34, Replacement: "Use --register-with-taints=node.kubernetes.io/unschedulable:NoSchedule.", Source: "https://github.com/kubernetes/kubernetes/pull/122384"},
	// v1.35
	{Component: "kubelet", Flag: "pod-infra-container-image", Removed: 35, Replacement: "Drop it: set the sandbox (pause) image in the container runtime's config (containerd sandbox_image).", Source: "https://github.com/kubernetes/kubernetes/pull/133779"},
	// v1.37 (named in the v1.37.0-alpha.1 notes)
	{Component: "kube-controller-manager", Flag: "concurrent-service-syncs", Removed: 37, Replacement: "Drop it: it had no effect since v1.31.", Source: "https://github.com/kubernetes/kubernetes/pull/138002"},
}
