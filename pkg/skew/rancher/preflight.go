package rancher

import (
	"context"
	"fmt"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Permission is one thing this mode does on the management cluster.
type Permission struct {
	Verb, Group, Resource string
	// Namespaced is true for the resources in the Cluster's namespace.
	Namespaced bool
	// Write marks what only upgrade and rollback need.
	Write bool
	// Named: asked for the one object named after the cluster (a ClusterRole may
	// grant it by resourceNames).
	Named bool
}

func (p Permission) String() string { return p.Verb + " " + p.Resource + "." + p.Group }

// Permissions is the RBAC this mode needs (docs/rancher.md lists it as a Role).
var Permissions = []Permission{
	{Verb: "get", Group: "provisioning.cattle.io", Resource: "clusters", Namespaced: true},
	{Verb: "patch", Group: "provisioning.cattle.io", Resource: "clusters", Namespaced: true, Write: true},
	{Verb: "get", Group: "rke.cattle.io", Resource: "rkecontrolplanes", Namespaced: true},
	{Verb: "list", Group: "rke.cattle.io", Resource: "etcdsnapshots", Namespaced: true},
	{Verb: "list", Group: "cluster.x-k8s.io", Resource: "machines", Namespaced: true},
	{Verb: "get", Group: "management.cattle.io", Resource: "settings"},
}

// MissingPermissions asks the apiserver (SelfSubjectAccessReview) for each permission
// and returns the ones denied; writes only when write is set.
func MissingPermissions(ctx context.Context, kube kubernetes.Interface, namespace string, write bool) ([]Permission, error) {
	return missing(ctx, kube, Permissions, namespace, write)
}

func missing(ctx context.Context, kube kubernetes.Interface, perms []Permission, namespace string, write bool) ([]Permission, error) {
	var denied []Permission
	for _, p := range perms {
		if p.Write && !write {
			continue
		}
		attrs := &authv1.ResourceAttributes{Verb: p.Verb, Group: p.Group, Resource: p.Resource}
		if p.Namespaced {
			attrs.Namespace = namespace
		}
		if p.Named {
			attrs.Name = namespace
		}
		r, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attrs}}, metav1.CreateOptions{})
		if err != nil {
			return nil, fmt.Errorf("ask whether we may %s: %w", p, err)
		}
		if !r.Status.Allowed {
			denied = append(denied, p)
		}
	}
	return denied, nil
}

// Refusals says, one line each, why the path cannot start now: a restore under way,
// a control plane in error, another change in progress, a hop this Rancher does not
// support. An empty list means it may.
func (s *State) Refusals(hops []version.Version) []string {
	c := &s.Cluster
	if cp := s.ControlPlane; cp != nil && c.Restore != nil && c.Restore.Generation > 0 && cp.RestoreGeneration == c.Restore.Generation && cp.RestorePhase != "" && cp.RestorePhase != "Finished" {
		return []string{fmt.Sprintf("a restore of %s is in progress (phase %s): wait for it to finish", c.Restore.Name, cp.RestorePhase)}
	}
	if ready := s.Condition("Ready"); ready.Status == "False" && ready.Reason == "Error" {
		return []string{fmt.Sprintf("the control plane of %s/%s reports an error (Ready=False, reason Error): %s; fix it in Rancher first", c.Namespace, c.Name, ready.Message)}
	}
	applied := ""
	if s.ControlPlane != nil {
		applied = s.ControlPlane.AppliedVersion
	}
	if applied != "" && c.KubernetesVersion != applied && !onPath(c.KubernetesVersion, hops) {
		return []string{fmt.Sprintf("a change to %s is in progress (the control plane applied %s), and %s is not on the path: wait for it, or set the version back in Rancher", c.KubernetesVersion, applied, c.KubernetesVersion)}
	}
	return s.Settings.Unsupported(hops)
}

func onPath(v string, hops []version.Version) bool {
	for _, h := range hops {
		if h.String() == v {
			return true
		}
	}
	return false
}

// ImportedPermissions is the RBAC the imported-cluster mode needs (docs/rancher.md
// lists it): the management Cluster is cluster-scoped, its Nodes live in the
// namespace named after it.
var ImportedPermissions = []Permission{
	{Verb: "get", Group: "management.cattle.io", Resource: "clusters", Named: true},
	{Verb: "patch", Group: "management.cattle.io", Resource: "clusters", Write: true, Named: true},
	{Verb: "list", Group: "management.cattle.io", Resource: "nodes", Namespaced: true},
	{Verb: "get", Group: "management.cattle.io", Resource: "settings"},
}

// MissingImportedPermissions asks the apiserver for each of ImportedPermissions
// (the Cluster by its name, the Nodes in the namespace of that name) and returns those denied; writes only when write is set.
func MissingImportedPermissions(ctx context.Context, kube kubernetes.Interface, name string, write bool) ([]Permission, error) {
	return missing(ctx, kube, ImportedPermissions, name, write)
}

// MissingLine says, in one line, which permissions on the management cluster the
// identity lacks for cluster ref.
func MissingLine(ref string, missing []Permission) string {
	names := make([]string, len(missing))
	for i, p := range missing {
		names[i] = p.String()
	}
	return fmt.Sprintf("missing permissions on the management cluster for %s: %s", ref, strings.Join(names, ", "))
}
