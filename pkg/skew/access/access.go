// Package access is the one table of the Kubernetes permissions each kubectl-skew
// command needs, per upgrade driver and optional feature, with why; the deploy/rbac
// manifests and docs/permissions.md are generated from it (hack/docs), and the
// commands ask the apiserver for the required ones before they read or write anything
// (SelfSubjectAccessReview), so one missing permission is one line, not a half-done run.
package access

import (
	"fmt"
	"strings"
)

// Scope is where a rule applies: cluster-wide or one namespace.
type Scope string

// The scopes of the table. SUC is the system-upgrade-controller's namespace
// (--suc-namespace), DefaultSUCNamespace unless the run says otherwise.
const (
	Cluster    Scope = ""
	KubeSystem Scope = "kube-system"
	NodeLease  Scope = "kube-node-lease"
	SUC        Scope = "$suc"
	// Rancher is the namespace of a provisioned Rancher Cluster (--rancher-cluster
	// namespace/name), DefaultRancherNamespace in the manifests.
	Rancher Scope = "$rancher"
	// Imported is the namespace named after an imported Rancher cluster (c-m-…), where
	// its management Nodes live. It is not known when the manifests are generated, so
	// they grant its rules cluster-wide.
	Imported Scope = "$imported"
)

// DefaultSUCNamespace is the namespace the generated manifests grant SUC rules in.
const DefaultSUCNamespace = "system-upgrade"

// DefaultRancherNamespace is the namespace the generated manifests grant Rancher rules
// in: where Rancher creates the Clusters it provisions.
const DefaultRancherNamespace = "fleet-default"

// Feature is a flag or mode whose rules are needed only when it is on.
type Feature string

// The features that add rules. "" is always.
const (
	Always      Feature = ""
	Target      Feature = "target"         // check --target (plan and upgrade always judge a target)
	Snapshot    Feature = "snapshot"       // upgrade --snapshot
	RetryFailed Feature = "retry-failed"   // upgrade --retry-failed
	PullSecrets Feature = "pull-secret"    // upgrade --image-pull-secret
	NoEviction  Feature = "no-eviction"    // --driver command with --drain-disable-eviction
	ServerDry   Feature = "dry-run=server" // upgrade --dry-run=server: the apiserver validates the Plans
	Drain       Feature = "drain"          // --driver command or manual, unless --drain=false
	Runbook     Feature = "runbook"        // rollback without --verify
)

// Rule is one RBAC rule of a command, with why it is there.
type Rule struct {
	Group string
	// Resource may name a subresource: pods/eviction.
	Resource string
	// URL is a non-resource URL (/metrics); Resource is then empty.
	URL   string
	Verbs []string
	Scope Scope
	// Optional rules degrade: without them the command still works and says what it
	// skipped. Required rules are checked before the command reads or writes.
	Optional bool
	Feature  Feature
	// Named rules are asked for the one object named after the imported cluster; the
	// manifests grant them without resourceNames (the name is not known then).
	Named bool
	Why   string
}

// Set is the permissions of one command (and driver).
type Set struct {
	// Name is the manifest's name (deploy/rbac/<Name>.yaml) and the roles'.
	Name    string
	Command string
	// Driver names the upgrade driver or mode; "" for a command with one.
	Driver string
	// Writes is true for the commands that change the cluster.
	Writes bool
	// HandWritten sets keep their own manifest (deploy/watch.yaml, which also runs the
	// watch); a test checks its roles grant exactly the table's rules.
	HandWritten string
	Rules       []Rule
}

// File is the path of the set's manifest in the repository.
func (s *Set) File() string {
	if s.HandWritten != "" {
		return s.HandWritten
	}
	return "deploy/rbac/" + s.Name + ".yaml"
}

// Find returns the set of that name, or nil.
func Find(name string) *Set {
	for i := range Table {
		if Table[i].Name == name {
			return &Table[i]
		}
	}
	return nil
}

// Permission is one verb on one resource in one place: what a
// SelfSubjectAccessReview asks.
type Permission struct {
	Verb, Group, Resource, Subresource, Namespace, URL string
	// Name is the one object asked for; "" for any.
	Name string
}

func (p Permission) String() string {
	if p.URL != "" {
		return p.Verb + " " + p.URL
	}
	r := p.Resource
	if p.Subresource != "" {
		r += "/" + p.Subresource
	}
	if p.Group != "" {
		r += "." + p.Group
	}
	if p.Name != "" {
		r += " " + p.Name
	}
	where := " cluster-wide"
	if p.Namespace != "" {
		where = " in " + p.Namespace
	}
	return p.Verb + " " + r + where
}

// Options say which rules of a set a run needs.
type Options struct {
	// SUCNamespace replaces the SUC scope; DefaultSUCNamespace when empty.
	SUCNamespace string
	// RancherNamespace replaces the Rancher scope; DefaultRancherNamespace when empty.
	RancherNamespace string
	// ImportedCluster is the imported Rancher cluster's name (c-m-…): the Imported
	// scope's namespace and the object of Named rules.
	ImportedCluster string
	Features        []Feature
	// ReadOnly keeps the reads: a dry run writes nothing (ServerDry's rules stay when
	// that feature is on).
	ReadOnly bool
	// AfterRead says the check comes after reads (an imported cluster's id is known
	// only once read): the refusal then says only that nothing was changed.
	AfterRead bool
	// Optional adds the optional rules (the manifests hold them; the up-front check
	// does not ask for them).
	Optional bool
}

func (o Options) has(f Feature) bool {
	if f == Always {
		return true
	}
	for _, g := range o.Features {
		if g == f {
			return true
		}
	}
	return false
}

// IsWrite says whether a verb changes something.
func IsWrite(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// Namespace is where a rule of this scope applies, for a run with o ("" is
// cluster-wide).
func (s Scope) Namespace(o Options) string {
	switch s {
	case SUC:
		return or(o.SUCNamespace, DefaultSUCNamespace)
	case Rancher:
		return or(o.RancherNamespace, DefaultRancherNamespace)
	case Imported:
		return o.ImportedCluster
	}
	return string(s)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Permissions are the set's permissions a run with o needs, one per verb, in the
// table's order.
func (s *Set) Permissions(o Options) []Permission {
	var out []Permission
	for _, r := range s.Rules {
		if (r.Optional && !o.Optional) || !o.has(r.Feature) {
			continue
		}
		res, sub, _ := strings.Cut(r.Resource, "/")
		for _, v := range r.Verbs {
			if o.ReadOnly && IsWrite(v) && r.Feature != ServerDry {
				continue
			}
			p := Permission{Verb: v, Group: r.Group, Resource: res, Subresource: sub, Namespace: r.Scope.Namespace(o), URL: r.URL}
			if r.Named {
				p.Name = o.ImportedCluster
			}
			out = append(out, p)
		}
	}
	return out
}

// MissingError is a command refused up front: what it may not do and how to fix it.
type MissingError struct {
	Set     *Set
	Missing []Permission
	// Namespace is the run's SUC namespace when it is not the manifests' default.
	Namespace string
	// RancherNamespace is the run's Rancher Cluster namespace.
	RancherNamespace string
	// AfterRead: the check came after reads (the imported cluster's name had to be
	// read first); still nothing was changed.
	AfterRead bool
}

func (e *MissingError) Error() string {
	names := make([]string, len(e.Missing))
	for i, p := range e.Missing {
		names[i] = p.String()
	}
	what := e.Set.Command
	if e.Set.Driver != "" {
		what += " (" + e.Set.Driver + ")"
	}
	done := "nothing was read or changed"
	if e.AfterRead {
		done = "nothing was changed"
	}
	fix := fmt.Sprintf("apply %s (docs/permissions.md) or ask a cluster admin for %s", e.Set.File(), map[bool]string{true: "them", false: "it"}[len(names) > 1])
	if e.Namespace != "" && e.Namespace != DefaultSUCNamespace {
		fix += fmt.Sprintf(" (its Role for %s in namespace %s)", DefaultSUCNamespace, e.Namespace)
	}
	if e.RancherNamespace != "" && e.RancherNamespace != DefaultRancherNamespace {
		fix += fmt.Sprintf(" (its Role for %s in namespace %s)", DefaultRancherNamespace, e.RancherNamespace)
	}
	return fmt.Sprintf("%s: forbidden: this identity may not %s; %s; %s", what, strings.Join(names, ", "), done, fix)
}
