package deprecation

import (
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// API is one version of one kind that Kubernetes deprecates and, usually, removes.
type API struct {
	Group, Version, Kind string
	// Deprecated is the first release that warns about it.
	Deprecated version.MinorVersion
	// Removed is the first release that no longer serves it; zero when no removal is planned.
	Removed version.MinorVersion
	// Replacement is the apiVersion to move to; empty when the kind has none.
	Replacement string
}

// APIVersion is the apiVersion a manifest spells it with ("extensions/v1beta1", "v1").
func (a API) APIVersion() string {
	if a.Group == "" {
		return a.Version
	}
	return a.Group + "/" + a.Version
}

// IsRemoved says whether a release is planned to stop serving it.
func (a API) IsRemoved() bool { return a.Removed.Major != 0 }

// ReplacementText is the replacement in words, for a finding's fix.
func (a API) ReplacementText() string {
	switch {
	case a.Replacement == "":
		return "nothing (the kind has no replacement)"
	case strings.Contains(a.Replacement, " "):
		return a.Replacement
	}
	return a.Replacement + " " + a.Kind
}

func minor(m uint64) version.MinorVersion { return version.MinorVersion{Major: 1, Minor: m} }

// entry adds the same deprecation to several kinds of one group version.
func entry(gv string, deprecated, removed uint64, replacement string, kinds ...string) []API {
	group, ver := splitAPIVersion(gv)
	out := make([]API, 0, len(kinds))
	for _, k := range kinds {
		a := API{Group: group, Version: ver, Kind: k, Deprecated: minor(deprecated), Replacement: replacement}
		if removed > 0 {
			a.Removed = minor(removed)
		}
		out = append(out, a)
	}
	return out
}

// table is written from the Kubernetes deprecation guide (docs/deprecated-apis.md says
// how to extend it): one row per kind and version, oldest removal first. A replacement
// is an apiVersion, followed by a kind when the kind changes too.
var table = join(
	// Removed in v1.16.
	entry("extensions/v1beta1", 9, 16, "apps/v1", "DaemonSet", "Deployment", "ReplicaSet"),
	entry("extensions/v1beta1", 9, 16, "networking.k8s.io/v1", "NetworkPolicy"),
	entry("extensions/v1beta1", 11, 16, "policy/v1beta1", "PodSecurityPolicy"),
	entry("apps/v1beta1", 9, 16, "apps/v1", "Deployment", "StatefulSet"),
	entry("apps/v1beta2", 9, 16, "apps/v1", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"),
	// Removed in v1.22.
	entry("admissionregistration.k8s.io/v1beta1", 16, 22, "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
	entry("apiextensions.k8s.io/v1beta1", 16, 22, "apiextensions.k8s.io/v1", "CustomResourceDefinition"),
	entry("apiregistration.k8s.io/v1beta1", 19, 22, "apiregistration.k8s.io/v1", "APIService"),
	entry("authentication.k8s.io/v1beta1", 19, 22, "authentication.k8s.io/v1", "TokenReview"),
	entry("authorization.k8s.io/v1beta1", 19, 22, "authorization.k8s.io/v1", "SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview"),
	entry("certificates.k8s.io/v1beta1", 19, 22, "certificates.k8s.io/v1", "CertificateSigningRequest"),
	entry("coordination.k8s.io/v1beta1", 19, 22, "coordination.k8s.io/v1", "Lease"),
	entry("extensions/v1beta1", 14, 22, "networking.k8s.io/v1", "Ingress"),
	entry("networking.k8s.io/v1beta1", 19, 22, "networking.k8s.io/v1", "Ingress", "IngressClass"),
	entry("rbac.authorization.k8s.io/v1beta1", 17, 22, "rbac.authorization.k8s.io/v1", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
	entry("scheduling.k8s.io/v1beta1", 14, 22, "scheduling.k8s.io/v1", "PriorityClass"),
	entry("storage.k8s.io/v1beta1", 19, 22, "storage.k8s.io/v1", "CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"),
	// Removed in v1.25.
	entry("batch/v1beta1", 21, 25, "batch/v1", "CronJob"),
	entry("discovery.k8s.io/v1beta1", 21, 25, "discovery.k8s.io/v1", "EndpointSlice"),
	entry("events.k8s.io/v1beta1", 22, 25, "events.k8s.io/v1", "Event"),
	entry("autoscaling/v2beta1", 22, 25, "autoscaling/v2", "HorizontalPodAutoscaler"),
	entry("policy/v1beta1", 21, 25, "policy/v1", "PodDisruptionBudget"),
	entry("policy/v1beta1", 21, 25, "", "PodSecurityPolicy"),
	entry("node.k8s.io/v1beta1", 22, 25, "node.k8s.io/v1", "RuntimeClass"),
	// Removed in v1.26.
	entry("flowcontrol.apiserver.k8s.io/v1beta1", 23, 26, "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration"),
	entry("autoscaling/v2beta2", 23, 26, "autoscaling/v2", "HorizontalPodAutoscaler"),
	// Removed in v1.27.
	entry("storage.k8s.io/v1beta1", 24, 27, "storage.k8s.io/v1", "CSIStorageCapacity"),
	// Removed in v1.29.
	entry("flowcontrol.apiserver.k8s.io/v1beta2", 26, 29, "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration"),
	// Removed in v1.32.
	entry("flowcontrol.apiserver.k8s.io/v1beta3", 29, 32, "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration"),
	// Deprecated, no removal planned.
	entry("v1", 19, 0, "", "ComponentStatus"),
	entry("v1", 33, 0, "discovery.k8s.io/v1 EndpointSlice", "Endpoints"),
)

func join(groups ...[]API) []API {
	var out []API
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

type gvk struct{ apiVersion, kind string }

var byGVK = func() map[gvk]API {
	m := make(map[gvk]API, len(table))
	for _, a := range table {
		m[gvk{a.APIVersion(), a.Kind}] = a
	}
	return m
}()

// Lookup finds the deprecation of a kind at an apiVersion, as a manifest spells them.
func Lookup(apiVersion, kind string) (API, bool) {
	a, ok := byGVK[gvk{strings.TrimSpace(apiVersion), strings.TrimSpace(kind)}]
	return a, ok
}

// Table returns every known deprecation, oldest removal first.
func Table() []API { return append([]API(nil), table...) }

// Kinds are the kinds the table knows: the only kinds whose live objects can carry a
// deprecated apiVersion in their last-applied configuration.
func Kinds() map[string]bool {
	out := map[string]bool{}
	for _, a := range table {
		out[a.Kind] = true
	}
	return out
}

func splitAPIVersion(gv string) (group, ver string) {
	if i := strings.LastIndexByte(gv, '/'); i >= 0 {
		return gv[:i], gv[i+1:]
	}
	return "", gv
}
