// Package permissions renders the RBAC manifests of deploy/rbac and
// docs/permissions.md from the permission table (pkg/skew/access). make docs writes
// them; a test fails when the committed files differ.
package permissions

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
)

// Files are the generated files by path relative to the repository root.
func Files() map[string]string {
	out := map[string]string{"docs/permissions.md": Markdown()}
	for i := range access.Table {
		s := &access.Table[i]
		if s.HandWritten == "" {
			out[s.File()] = s.Manifest()
		}
	}
	return out
}

// Write writes Files under root.
func Write(root string) error {
	for name, text := range Files() {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Markdown renders docs/permissions.md.
func Markdown() string {
	var b strings.Builder
	b.WriteString(`# Permissions

<!-- Generated from pkg/skew/access/table.go by make docs. Do not edit. -->

Each command needs only the permissions below, one manifest per command (and upgrade
driver) in [deploy/rbac](../deploy/rbac). Every manifest holds two sets of roles:

- **required** (` + "`kubectl-skew-<command>`" + `): the command asks the apiserver for each of them
  before it reads or writes anything (one SelfSubjectAccessReview each, which every
  signed-in identity may create). With one missing it exits 1 with one line naming
  every permission it lacks and the manifest to apply, and changes nothing. Rules marked
  "only with" a flag are asked only when that flag is given; a client dry run
  (` + "`--dry-run`, `--dry-run=client`" + `) asks for the reads only.
- **optional** (` + "`kubectl-skew-<command>-optional`" + `): read when allowed; without them the
  command still works and reports what it skipped, with the reason (never as passed).
  Leave that role out to grant less: the removed-API scan, for one, lists every Secret.

The manifests bind the roles to a ServiceAccount ` + "`kubectl-skew/kubectl-skew-<command>`" + `; bind your
own user or group instead by editing the subjects. The Roles for the
system-upgrade-controller's namespace are written for ` + "`system-upgrade`" + `: change that namespace
when you run with ` + "`--suc-namespace`" + `.

` + "```sh" + `
kubectl apply -f deploy/rbac/check.yaml       # read-only: check, with --target
kubectl apply -f deploy/rbac/upgrade.yaml     # upgrade through the system-upgrade-controller
kubectl auth can-i patch plans.upgrade.cattle.io -n system-upgrade --as system:serviceaccount:kubectl-skew:kubectl-skew-upgrade
` + "```" + `

The removed-API scan also lists the objects of each resource a hop removes a version of
(their last-applied configuration); those resources depend on the hop and the cluster,
so no manifest grants them: without them the scan reports them skipped. With
` + "`--rancher-cluster`" + ` the commands read and write Rancher's objects on the management
cluster instead: the sections "driver: rancher" below, checked up front the same way
([rancher.md](rancher.md) says how to narrow the imported cluster's). ` + "`check`, `plan` and `status`" + `
with ` + "`--rancher-cluster`" + ` need the reads of the upgrade's set (all but patch); they are not
asked up front, and a forbidden read fails naming it. ` + "`kubectl skew watch`" + ` in a cluster uses [deploy/watch.yaml](../deploy/watch.yaml).

`)
	for i := range access.Table {
		s := &access.Table[i]
		title := "kubectl skew " + s.Command
		if s.Driver != "" {
			title += " (driver: " + s.Driver + ")"
		}
		fmt.Fprintf(&b, "## %s\n\n[%s](../%s)", title, s.File(), s.File())
		if s.Writes {
			b.WriteString(": writes")
		} else {
			b.WriteString(": reads only")
		}
		b.WriteString("\n\n| verbs | resource | where | needed | why |\n|---|---|---|---|---|\n")
		for _, r := range s.Rules {
			res := r.Resource
			if r.Group != "" {
				res += "." + r.Group
			}
			if r.URL != "" {
				res = r.URL + " (non-resource URL)"
			}
			where := "cluster-wide"
			switch r.Scope {
			case access.Cluster:
			case access.SUC:
				where = "the controller's namespace (" + access.DefaultSUCNamespace + ")"
			case access.Rancher:
				where = "the Rancher Cluster's namespace (" + access.DefaultRancherNamespace + ")"
			case access.Imported:
				where = "the namespace named after the imported cluster's id (c-m-…); cluster-wide in the manifest"
			default:
				where = string(r.Scope)
			}
			if r.Named {
				where += "; only the imported cluster's own Cluster (resourceNames narrows it)"
			}
			need := "required"
			if r.Optional {
				need = "optional"
			}
			if r.Feature != access.Always {
				need += ", " + featureFlag(r.Feature)
			}
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s |\n", strings.Join(r.Verbs, ", "), res, where, need, r.Why)
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func featureFlag(f access.Feature) string {
	switch f {
	case access.Target:
		return "with `--target`"
	case access.NoEviction:
		return "with `--drain-disable-eviction`"
	case access.PullSecrets:
		return "with `--image-pull-secret`"
	case access.Drain:
		return "not with `--drain=false`"
	case access.Runbook:
		return "not with `--verify`"
	}
	return "with `--" + string(f) + "`"
}
