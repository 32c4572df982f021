package access

import (
	"fmt"
	"slices"
	"strings"
)

// ManifestNamespace holds the ServiceAccount each manifest binds its roles to.
const ManifestNamespace = "kubectl-skew"

// role is one ClusterRole (namespace "") or Role of a manifest.
type role struct {
	name, namespace string
	rules           []Rule
}

// roles splits a set into its roles: the required rules, then the optional ones, each
// cluster-wide first, then per namespace in the table's order.
func (s *Set) roles() []role {
	var out []role
	for _, optional := range []bool{false, true} {
		name := "kubectl-skew-" + s.Name
		if optional {
			name += "-optional"
		}
		var order []string
		by := map[string][]Rule{}
		for _, r := range s.Rules {
			if r.Optional != optional {
				continue
			}
			ns := r.Scope.Namespace(Options{})
			if _, ok := by[ns]; !ok {
				order = append(order, ns)
			}
			by[ns] = append(by[ns], r)
		}
		slices.SortStableFunc(order, func(a, b string) int {
			return map[bool]int{true: 0, false: 1}[a == ""] - map[bool]int{true: 0, false: 1}[b == ""]
		})
		for _, ns := range order {
			out = append(out, role{name: name, namespace: ns, rules: by[ns]})
		}
	}
	return out
}

// ServiceAccount is the name of the set's ServiceAccount in ManifestNamespace.
func (s *Set) ServiceAccount() string { return "kubectl-skew-" + s.Name }

// Manifest is the set's deploy/rbac file: a ServiceAccount, the roles and their
// bindings, each rule with why it is there.
func (s *Set) Manifest() string {
	var b strings.Builder
	what := "kubectl skew " + s.Command
	if s.Driver != "" {
		what += " (driver: " + s.Driver + ")"
	}
	fmt.Fprintf(&b, "# The permissions of %s. Generated from pkg/skew/access by make docs: do not edit.\n", what)
	b.WriteString("# kubectl-skew-" + s.Name + " holds what the command checks before it starts (one line names\n" +
		"# what is missing); kubectl-skew-" + s.Name + "-optional what it reads when allowed and reports\n" +
		"# skipped otherwise: leave that one out for less. Bind your own user or group instead of\n" +
		"# the ServiceAccount by editing the subjects. docs/permissions.md explains each rule.\n")
	if hasScope(s, SUC) {
		fmt.Fprintf(&b, "# The Roles in %s are for the system-upgrade-controller's namespace: change it to\n# yours when you run with --suc-namespace.\n", DefaultSUCNamespace)
	}
	if hasScope(s, Rancher) {
		fmt.Fprintf(&b, "# The Roles in %s are for the namespace of the Rancher Cluster (--rancher-cluster\n# namespace/name): change it to yours when your Cluster lives elsewhere.\n", DefaultRancherNamespace)
	}
	if hasScope(s, Imported) || hasNamed(s) {
		b.WriteString("# An imported cluster's id (c-m-...) is not known here, so its rules are cluster-wide:\n" +
			"# narrow them to that one cluster with resourceNames: [\"<id>\"] on the management Cluster\n" +
			"# rule, and a Role in namespace <id> for its Nodes.\n")
	}
	fmt.Fprintf(&b, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n---\n", ManifestNamespace)
	fmt.Fprintf(&b, "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n  namespace: %s\n", s.ServiceAccount(), ManifestNamespace)
	for _, r := range s.roles() {
		kind, meta := "ClusterRole", "  name: "+r.name+"\n"
		if r.namespace != "" {
			kind, meta = "Role", meta+"  namespace: "+r.namespace+"\n"
		}
		fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: %s\nmetadata:\n%srules:\n", kind, meta)
		writeRules(&b, r.rules)
		fmt.Fprintf(&b, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: %sBinding\nmetadata:\n%sroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: %s\n  name: %s\nsubjects:\n- kind: ServiceAccount\n  name: %s\n  namespace: %s\n",
			kind, meta, kind, r.name, s.ServiceAccount(), ManifestNamespace)
	}
	return b.String()
}

func writeRules(b *strings.Builder, rules []Rule) {
	var granted []string // group/resource/verb already in this role
	for _, r := range rules {
		fmt.Fprintf(b, "# %s\n", r.Explain())
		if r.Named {
			b.WriteString("#   (one Cluster: narrow with resourceNames: [\"<its id, c-m-...>\"])\n")
		}
		if r.Scope == Imported {
			b.WriteString("#   (one namespace: narrow to a Role in the namespace named after the cluster's id)\n")
		}
		var verbs []string
		for _, v := range r.Verbs {
			k := r.Group + "/" + r.Resource + r.URL + "/" + v
			if !slices.Contains(granted, k) {
				granted = append(granted, k)
				verbs = append(verbs, v)
			}
		}
		if len(verbs) == 0 {
			b.WriteString("#   (granted above)\n")
			continue
		}
		if r.URL != "" {
			fmt.Fprintf(b, "- nonResourceURLs: [%q]\n  verbs: [%s]\n", r.URL, quoted(verbs))
			continue
		}
		fmt.Fprintf(b, "- apiGroups: [%q]\n  resources: [%q]\n  verbs: [%s]\n", r.Group, r.Resource, quoted(verbs))
	}
}

// Explain is why the rule is there, with the flag that needs it.
func (r Rule) Explain() string {
	if strings.HasPrefix(r.Why, "--") {
		return r.Why
	}
	return r.Why + featureNote(r.Feature)
}

func featureNote(f Feature) string {
	switch f {
	case Always:
		return ""
	case Target:
		return " (only with --target)"
	case NoEviction:
		return " (only with --drain-disable-eviction)"
	case PullSecrets:
		return " (only with --image-pull-secret)"
	case Drain:
		return " (not with --drain=false)"
	case Runbook:
		return " (not with --verify)"
	}
	return " (only with --" + string(f) + ")"
}

func quoted(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func hasNamed(s *Set) bool {
	for _, r := range s.Rules {
		if r.Named {
			return true
		}
	}
	return false
}

func hasScope(s *Set, sc Scope) bool {
	for _, r := range s.Rules {
		if r.Scope == sc {
			return true
		}
	}
	return false
}
