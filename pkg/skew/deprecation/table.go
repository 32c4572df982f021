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
	// Interim is what to move to on hops to a release before InterimUntil, the first
	// release that serves Replacement (flowcontrol v1 came three minors after v1beta3).
	Interim      string
	InterimUntil version.MinorVersion
	// Source is where the row's facts come from.
	Source string
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

// ReplacementAt is the apiVersion to move to for a control plane at the given minor:
// the interim one where the final replacement is not served yet.
func (a API) ReplacementAt(at version.MinorVersion) string {
	if a.Interim != "" && at.Compare(a.InterimUntil) < 0 {
		return a.Interim
	}
	return a.Replacement
}

// ReplacementText is the replacement at the given minor in words, for a finding's fix.
func (a API) ReplacementText(at version.MinorVersion) string {
	r := a.ReplacementAt(at)
	switch {
	case r == "":
		return "nothing (the kind has no replacement)"
	case strings.Contains(r, " "):
		return r
	}
	return r + " " + a.Kind
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

// interim sets the replacement to advise on hops before the final one is served.
func interim(apis []API, replacement string, until uint64) []API {
	for i := range apis {
		apis[i].Interim, apis[i].InterimUntil = replacement, minor(until)
	}
	return apis
}

// Where the rows come from. The guide lists removals up to v1.32; the releases of each
// beta after that are the ones k8s.io/api generates from its types' lifecycle tags
// (APILifecycleDeprecated and APILifecycleRemoved), which TestTableMatchesAPILifecycle
// checks the table against.
const (
	sourceGuide     = "https://kubernetes.io/docs/reference/using-api/deprecation-guide/"
	sourceLifecycle = "https://github.com/kubernetes/api (zz_generated.prerelease-lifecycle.go of each group version)"
)

// sourced sets the source of every row of the groups.
func sourced(source string, groups ...[]API) []API {
	out := join(groups...)
	for i := range out {
		out[i].Source = source
	}
	return out
}

// table: one row per kind and version, oldest removal first (docs/deprecated-apis.md is
// generated from it). A replacement is an apiVersion, followed by a kind when the kind
// changes too.
var table = join(
	sourced(sourceGuide,
		// Removed in v1.16.
		entry("extensions/v1beta1", 8, 16, "apps/v1", "DaemonSet", "Deployment", "ReplicaSet"),
		entry("extensions/v1beta1", 9, 16, "networking.k8s.io/v1", "NetworkPolicy"),
		entry("extensions/v1beta1", 11, 16, "policy/v1beta1", "PodSecurityPolicy"),
		entry("apps/v1beta1", 8, 16, "apps/v1", "ControllerRevision", "Deployment", "StatefulSet"),
		entry("apps/v1beta2", 9, 16, "apps/v1", "ControllerRevision", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"),
		// Removed in v1.22.
		entry("admissionregistration.k8s.io/v1beta1", 16, 22, "admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
		entry("apiextensions.k8s.io/v1beta1", 16, 22, "apiextensions.k8s.io/v1", "CustomResourceDefinition"),
		entry("apiregistration.k8s.io/v1beta1", 19, 22, "apiregistration.k8s.io/v1", "APIService"),
		entry("authentication.k8s.io/v1beta1", 19, 22, "authentication.k8s.io/v1", "TokenReview"),
		entry("authorization.k8s.io/v1beta1", 19, 22, "authorization.k8s.io/v1", "SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"),
		entry("certificates.k8s.io/v1beta1", 19, 22, "certificates.k8s.io/v1", "CertificateSigningRequest"),
		entry("coordination.k8s.io/v1beta1", 19, 22, "coordination.k8s.io/v1", "Lease"),
		entry("extensions/v1beta1", 14, 22, "networking.k8s.io/v1", "Ingress"),
		entry("networking.k8s.io/v1beta1", 19, 22, "networking.k8s.io/v1", "Ingress", "IngressClass"),
		entry("rbac.authorization.k8s.io/v1beta1", 17, 22, "rbac.authorization.k8s.io/v1", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"),
		entry("scheduling.k8s.io/v1beta1", 14, 22, "scheduling.k8s.io/v1", "PriorityClass"),
		entry("storage.k8s.io/v1beta1", 17, 22, "storage.k8s.io/v1", "CSINode"),
		entry("storage.k8s.io/v1beta1", 19, 22, "storage.k8s.io/v1", "CSIDriver", "StorageClass", "VolumeAttachment"),
		// Removed in v1.25.
		entry("batch/v1beta1", 21, 25, "batch/v1", "CronJob"),
		entry("discovery.k8s.io/v1beta1", 21, 25, "discovery.k8s.io/v1", "EndpointSlice"),
		entry("events.k8s.io/v1beta1", 22, 25, "events.k8s.io/v1", "Event"),
		entry("autoscaling/v2beta1", 22, 25, "autoscaling/v2", "HorizontalPodAutoscaler"),
		entry("policy/v1beta1", 21, 25, "policy/v1", "PodDisruptionBudget"),
		entry("policy/v1beta1", 21, 25, "", "PodSecurityPolicy"),
		entry("node.k8s.io/v1beta1", 22, 25, "node.k8s.io/v1", "RuntimeClass"),
		// Removed in v1.26. flowcontrol v1 is served from v1.29 only: before that the way
		// out of v1beta1 and v1beta2 is v1beta3, served from v1.26.
		interim(entry("flowcontrol.apiserver.k8s.io/v1beta1", 23, 26, "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration"), "flowcontrol.apiserver.k8s.io/v1beta3", 29),
		entry("autoscaling/v2beta2", 23, 26, "autoscaling/v2", "HorizontalPodAutoscaler"),
		// Removed in v1.27.
		entry("storage.k8s.io/v1beta1", 24, 27, "storage.k8s.io/v1", "CSIStorageCapacity"),
		// Removed in v1.29.
		interim(entry("flowcontrol.apiserver.k8s.io/v1beta2", 26, 29, "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration"), "flowcontrol.apiserver.k8s.io/v1beta3", 29),
		// Removed in v1.32.
		entry("flowcontrol.apiserver.k8s.io/v1beta3", 29, 32, "flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "PriorityLevelConfiguration"),
	),
	sourced(sourceLifecycle,
		// Removed in v1.33.
		entry("authentication.k8s.io/v1beta1", 30, 33, "authentication.k8s.io/v1", "SelfSubjectReview"),
		// Removed in v1.34.
		entry("admissionregistration.k8s.io/v1beta1", 31, 34, "admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"),
		// Removed in v1.37.
		entry("networking.k8s.io/v1beta1", 34, 37, "networking.k8s.io/v1", "IPAddress", "ServiceCIDR"),
		entry("storage.k8s.io/v1beta1", 34, 37, "storage.k8s.io/v1", "VolumeAttributesClass"),
		// Removed in v1.38.
		entry("resource.k8s.io/v1beta1", 35, 38, "resource.k8s.io/v1", "DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice"),
		// Removed in v1.39.
		entry("resource.k8s.io/v1beta2", 36, 39, "resource.k8s.io/v1", "DeviceClass", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice"),
		entry("coordination.k8s.io/v1beta1", 36, 39, "", "LeaseCandidate"),
		// Removed in v1.40 (deprecated in v1.37).
		entry("admissionregistration.k8s.io/v1beta1", 37, 40, "admissionregistration.k8s.io/v1", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding"),
		entry("certificates.k8s.io/v1beta1", 37, 40, "certificates.k8s.io/v1", "ClusterTrustBundle", "PodCertificateRequest"),
		entry("storagemigration.k8s.io/v1beta1", 37, 40, "storagemigration.k8s.io/v1", "StorageVersionMigration"),
	),
	sourced(sourceGuide,
		// Deprecated, no removal planned.
		entry("v1", 19, 0, "", "ComponentStatus"),
		entry("v1", 33, 0, "discovery.k8s.io/v1 EndpointSlice", "Endpoints"),
	),
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
