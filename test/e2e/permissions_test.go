package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// grantedRole is one required role of an applied manifest.
type grantedRole struct {
	namespace, name string // namespace "" is a ClusterRole
	rules           []rbacv1.PolicyRule
}

// grant is a manifest applied to the sandbox: a kubeconfig with its ServiceAccount's
// token, and its required roles, which the one-less runs edit.
type grant struct {
	set        *access.Set
	kubeconfig string
	user       string
	groups     []string
	roles      []grantedRole
	// state is what a refused run must leave as it was; ourState when nil.
	state func(t *testing.T) string
}

// applyManifest creates the ServiceAccount, roles and bindings of a set's deploy file
// as committed (deploy/rbac/<set>.yaml) and returns the grant.
func applyManifest(t *testing.T, set string) *grant {
	t.Helper()
	s := access.Find(set)
	b, err := os.ReadFile(filepath.Join(env.root, filepath.FromSlash(s.File())))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	kube := env.sb.Client
	g := &grant{set: s}
	var sa *corev1.ServiceAccount
	for _, doc := range strings.Split(string(b), "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", s.File(), err)
		}
		var del func() error
		required := func(name string) bool { return !strings.HasSuffix(name, "-optional") }
		switch o := obj.(type) {
		case *corev1.Namespace:
			_, err = kube.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
		case *corev1.ServiceAccount:
			sa = o
			_, err = kube.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error {
				return kube.CoreV1().ServiceAccounts(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})
			}
		case *rbacv1.ClusterRole:
			_, err = kube.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
			del = func() error { return kube.RbacV1().ClusterRoles().Delete(ctx, o.Name, metav1.DeleteOptions{}) }
			if required(o.Name) {
				g.roles = append(g.roles, grantedRole{name: o.Name, rules: o.Rules})
			}
		case *rbacv1.ClusterRoleBinding:
			_, err = kube.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
			del = func() error { return kube.RbacV1().ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{}) }
		case *rbacv1.Role:
			_, err = kube.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error { return kube.RbacV1().Roles(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{}) }
			if required(o.Name) {
				g.roles = append(g.roles, grantedRole{namespace: o.Namespace, name: o.Name, rules: o.Rules})
			}
		case *rbacv1.RoleBinding:
			_, err = kube.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error {
				return kube.RbacV1().RoleBindings(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})
			}
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %T from %s: %v", obj, s.File(), err)
		}
		if del != nil {
			t.Cleanup(func() { _ = del() })
		}
	}
	if sa == nil {
		t.Fatalf("%s has no ServiceAccount", s.File())
	}
	g.user = "system:serviceaccount:" + sa.Namespace + ":" + sa.Name
	g.groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.Namespace, "system:authenticated"}
	g.kubeconfig = tokenKubeconfig(t, sa.Namespace, sa.Name)
	return g
}

// setRules replaces a role's rules (as the admin).
func (g *grant) setRules(t *testing.T, r grantedRole, rules []rbacv1.PolicyRule) {
	t.Helper()
	ctx := context.Background()
	var err error
	if r.namespace == "" {
		var cr *rbacv1.ClusterRole
		if cr, err = env.sb.Client.RbacV1().ClusterRoles().Get(ctx, r.name, metav1.GetOptions{}); err == nil {
			cr.Rules = rules
			_, err = env.sb.Client.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{})
		}
	} else {
		var ro *rbacv1.Role
		if ro, err = env.sb.Client.RbacV1().Roles(r.namespace).Get(ctx, r.name, metav1.GetOptions{}); err == nil {
			ro.Rules = rules
			_, err = env.sb.Client.RbacV1().Roles(r.namespace).Update(ctx, ro, metav1.UpdateOptions{})
		}
	}
	if err != nil {
		t.Fatalf("edit role %s/%s: %v", r.namespace, r.name, err)
	}
}

// allowed asks the apiserver (as the admin) whether the grant's identity may p.
func (g *grant) allowed(t *testing.T, p access.Permission) bool {
	t.Helper()
	sar := &authv1.SubjectAccessReview{Spec: authv1.SubjectAccessReviewSpec{User: g.user, Groups: g.groups,
		ResourceAttributes: &authv1.ResourceAttributes{Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource, Namespace: p.Namespace}}}
	got, err := env.sb.Client.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return got.Status.Allowed
}

// await waits until the authorizer's cache answers want for p.
func (g *grant) await(t *testing.T, p access.Permission, want bool) bool {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if g.allowed(t, p) == want {
			return true
		}
	}
	return false
}

// ourState is what a run of ours could have written, in a form that ignores what
// the controller and the simulated kubelets change on their own: our Plans' names
// and generations (the controller writes only their status), the run record and its
// Lease, and each node's cordon and the fields our manager owns.
func ourState(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var out []string
	plans, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range plans.Items {
		out = append(out, fmt.Sprintf("plan %s gen %d", p.GetName(), p.GetGeneration()))
	}
	if cm, err := env.sb.Client.CoreV1().ConfigMaps(runrecord.DefaultNamespace).Get(ctx, runrecord.Name, metav1.GetOptions{}); err == nil {
		out = append(out, "record "+cm.ResourceVersion)
	}
	if l, err := env.sb.Client.CoordinationV1().Leases(runrecord.DefaultNamespace).Get(ctx, runrecord.Name, metav1.GetOptions{}); err == nil {
		out = append(out, "lease "+l.ResourceVersion)
	}
	nodes, err := env.sb.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		for _, m := range n.ManagedFields {
			if m.Manager == suc.FieldManager && m.Time != nil {
				out = append(out, fmt.Sprintf("node %s %s %s", n.Name, m.Operation, m.Time.UTC().Format(time.RFC3339)))
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// oneLess runs args once for every verb of every rule of the grant's required roles
// that a run with o asks for, with that one verb taken away: each run must exit 1
// with one line that names the permission and the manifest, and write nothing.
func oneLess(t *testing.T, g *grant, o access.Options, args ...string) {
	t.Helper()
	asked := map[string]bool{}
	for _, p := range g.set.Permissions(o) {
		asked[p.String()] = true
	}
	tried := 0
	for _, r := range g.roles {
		for i, rule := range r.rules {
			for _, v := range rule.Verbs {
				res, sub, _ := strings.Cut(rule.Resources[0], "/")
				p := access.Permission{Verb: v, Group: rule.APIGroups[0], Resource: res, Subresource: sub, Namespace: r.namespace}
				if !asked[p.String()] {
					continue // a flag this run does not give
				}
				less := slices.Clone(r.rules)
				less[i].Verbs = slices.DeleteFunc(slices.Clone(rule.Verbs), func(x string) bool { return x == v })
				if len(less[i].Verbs) == 0 {
					less = slices.Delete(less, i, i+1)
				}
				g.setRules(t, r, less)
				if !g.await(t, p, false) {
					// Held through another rule (the optional role's wider one): the run
					// rightly goes on, so there is no "one less" to try.
					t.Logf("%s: another rule of %s still grants %s", g.set.Name, g.set.File(), p)
					g.setRules(t, r, r.rules)
					continue
				}
				tried++
				state := g.state
				if state == nil {
					state = ourState
				}
				before := state(t)
				res2 := kubectl(t, g.kubeconfig, args...)
				after := state(t)
				g.setRules(t, r, r.rules)
				if !g.await(t, p, true) {
					t.Fatalf("%s: not granted again after restoring the role", p)
				}
				oneLineError(t, res2, 20*time.Second)
				if !strings.Contains(res2.stderr, p.String()) || !strings.Contains(res2.stderr, g.set.File()) {
					t.Errorf("without %s: the line does not name it and %s:\n%s", p, g.set.File(), res2)
				}
				if before != after {
					t.Errorf("without %s the run wrote:\nbefore:\n%s\nafter:\n%s", p, before, after)
				}
			}
		}
	}
	if tried == 0 {
		t.Errorf("%s: no permission taken away", g.set.Name)
	}
	t.Logf("%s: %d runs with one permission less, each refused in one line", g.set.Name, tried)
}

// TestPermissionsReadCommands: check, plan, rollback --verify and status pass with
// exactly the permissions of their deploy/rbac manifests and refuse in one line with
// one less. status reads an upgrade of ours: its first step, applied by the admin.
// (The runbook's own reads, a snapshot among them, are covered by pkg/skew/access's
// tests: a runbook needs a snapshot taken through a Job before the hop.)
func TestPermissionsReadCommands(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	cases := []struct {
		set  string
		o    access.Options
		args []string
	}{
		{"check", access.Options{}, []string{"skew", "check", "--target", "v1.31"}},
		{"plan", access.Options{}, []string{"skew", "plan", "--channel-server", k3sChannels()}},
		{"rollback", access.Options{}, []string{"skew", "rollback", "--verify", "--expect-version", "v1.30.14+k3s1"}},
		{"status", access.Options{}, []string{"skew", "status"}},
	}
	for _, c := range cases {
		t.Run(c.set, func(t *testing.T) {
			if c.set == "status" {
				if r := upgradeCmd(t, k3sChannels(), "--yes"); r.code != 0 {
					t.Fatalf("the admin's first step: %s", r)
				}
			}
			g := applyManifest(t, c.set)
			r := kubectl(t, g.kubeconfig, c.args...)
			if r.code != 0 {
				t.Fatalf("with exactly %s: %s", g.set.File(), r)
			}
			oneLess(t, g, c.o, c.args...)
		})
	}
}

// TestPermissionsUpgradeSUC: upgrade through the system-upgrade-controller refuses
// with one permission less of deploy/rbac/upgrade.yaml, before writing anything, then
// applies its first step with exactly that manifest; abort then refuses with one less
// of deploy/rbac/abort.yaml and stops the upgrade with exactly it.
func TestPermissionsUpgradeSUC(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	cleanRun(t)
	up := applyManifest(t, "upgrade")
	args := []string{"skew", "upgrade", "--channel-server", k3sChannels(), "--yes"}
	oneLess(t, up, access.Options{}, args...)
	if r := kubectl(t, up.kubeconfig, args...); r.code != 0 || len(ourPlans(t)) == 0 {
		t.Fatalf("with exactly %s: %s", up.set.File(), r)
	}
	ab := applyManifest(t, "abort")
	abort := []string{"skew", "abort", "--yes", "--timeout", "2m"}
	oneLess(t, ab, access.Options{}, abort...)
	if r := kubectl(t, ab.kubeconfig, abort...); r.code != 0 || len(ourPlans(t)) != 0 {
		t.Fatalf("abort with exactly %s: %s\nplans left: %v", ab.set.File(), r, ourPlans(t))
	}
}

// TestPermissionsUpgradeCommand: --driver command refuses with one permission less
// of deploy/rbac/upgrade-command.yaml, before writing anything (no run record, no
// Lease, no cordon), then upgrades a node pool with exactly that manifest.
func TestPermissionsUpgradeCommand(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	cleanRun(t)
	g := applyManifest(t, "upgrade-command")
	args := []string{"skew", "upgrade", "--channel-server", k3sChannels(), "--driver", "command", "--command", "nodesim-install", "--version", "v1.31.13+k3s1", "--yes"}
	oneLess(t, g, access.Options{Features: []access.Feature{access.Drain}}, args...)
	r := kubectl(t, g.kubeconfig, args...)
	if r.code != 0 {
		t.Fatalf("with exactly %s: %s", g.set.File(), r)
	}
	allOn(t, "v1.31.13+k3s1")
}

// TestPermissionsUpgradeRancher: upgrade --rancher-cluster of a provisioned cluster
// refuses with one permission less of deploy/rbac/upgrade-rancher.yaml, before
// writing anything (the Cluster's spec and our annotations stay; the simulated Rancher
// bumps the resourceVersion on its own), then sets the first hop with exactly that
// manifest.
func TestPermissionsUpgradeRancher(t *testing.T) {
	rancherFixture(t, nil)
	g := applyManifest(t, "upgrade-rancher")
	g.state = func(t *testing.T) string {
		obj, err := env.sb.Dynamic.Resource(rancher.ClusterResource).Namespace("fleet-default").Get(context.Background(), "prod-east", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spec, _ := json.Marshal(obj.Object["spec"])
		return fmt.Sprintf("%s %v", spec, obj.GetAnnotations())
	}
	before := g.state(t)
	args := []string{"skew", "upgrade", "--rancher-cluster", rancherCluster, "--version", rke2Target, "--channel-server", rke2Channels(), "--yes"}
	oneLess(t, g, access.Options{}, args...)
	if r := kubectl(t, g.kubeconfig, args...); r.code != 0 {
		t.Fatalf("with exactly %s: %s", g.set.File(), r)
	}
	if after := g.state(t); after == before {
		t.Errorf("with exactly %s the upgrade changed nothing: %s", g.set.File(), after)
	}
}
