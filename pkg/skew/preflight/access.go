package preflight

import (
	"fmt"
	"strings"
)

// Permission is one thing the upgrade needs to be allowed.
type Permission struct {
	Verb, Group, Resource, Namespace string
}

func (p Permission) String() string {
	r := p.Resource
	if p.Group != "" {
		r += "." + p.Group
	}
	where := "cluster-wide"
	if p.Namespace != "" {
		where = "in namespace " + p.Namespace
	}
	return fmt.Sprintf("%s %s %s", p.Verb, r, where)
}

// Required is every permission a run with these options uses, in a fixed order.
func Required(o Options) []Permission {
	ns := o.Namespace
	need := []Permission{
		{"get", "upgrade.cattle.io", "plans", ns},
		{"list", "upgrade.cattle.io", "plans", ns},
		{"watch", "upgrade.cattle.io", "plans", ns},
		{"create", "upgrade.cattle.io", "plans", ns},
		{"patch", "upgrade.cattle.io", "plans", ns},
		{"get", "", "nodes", ""},
		{"list", "", "nodes", ""},
		{"watch", "", "nodes", ""},
		{"list", "batch", "jobs", ns},
		{"watch", "batch", "jobs", ns},
	}
	if o.NeedDelete {
		need = append(need, Permission{"delete", "upgrade.cattle.io", "plans", ns})
	}
	if o.RetryFailed {
		need = append(need, Permission{"delete", "batch", "jobs", ns})
	}
	return need
}

func checkPermissions(v verdicts, f *Facts, o Options) {
	if f.AccessErr != nil {
		v.add(CheckPermissions, Fail, "SelfSubjectAccessReview failed: "+f.AccessErr.Error(), "retry once the apiserver answers")
		return
	}
	var missing []string
	for _, p := range Required(o) {
		allowed, asked := f.Access[p]
		if !asked {
			v.add(CheckPermissions, Skipped, "not asked whether the run may "+p.String(), "")
			return
		}
		if !allowed {
			missing = append(missing, p.String())
		}
	}
	if len(missing) > 0 {
		v.add(CheckPermissions, Fail, "missing: "+strings.Join(missing, "; "),
			"ask a cluster admin for these permissions (kubectl auth can-i <verb> <resource> -n "+o.Namespace+" checks one)")
		return
	}
	v.add(CheckPermissions, Pass, fmt.Sprintf("may create, patch and watch plans in %s, read nodes and jobs", o.Namespace), "")
}
