package access

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"
)

var commands = []string{"check", "plan", "status", "abort", "rollback", "upgrade", "upgrade-command", "watch"}

func TestTableIsSound(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Table {
		if seen[s.Name] {
			t.Errorf("set %s twice", s.Name)
		}
		seen[s.Name] = true
		writes := false
		for _, r := range s.Rules {
			if r.Why == "" || len(r.Verbs) == 0 {
				t.Errorf("%s: a rule on %s%s without why or verbs", s.Name, r.Resource, r.URL)
			}
			if (r.URL == "") == (r.Resource == "") {
				t.Errorf("%s: a rule needs a resource or a URL, not both: %+v", s.Name, r)
			}
			if r.URL != "" && r.Scope != Cluster {
				t.Errorf("%s: non-resource URL %s in a namespace", s.Name, r.URL)
			}
			for _, v := range r.Verbs {
				if !slices.Contains([]string{"get", "list", "watch", "create", "update", "patch", "delete"}, v) {
					t.Errorf("%s: verb %q", s.Name, v)
				}
				if IsWrite(v) && r.Feature != ServerDry {
					writes = true
				}
			}
			if r.Optional && slices.ContainsFunc(r.Verbs, IsWrite) {
				t.Errorf("%s: an optional write (%s): a write the run needs is required", s.Name, r.Resource)
			}
		}
		if writes != s.Writes {
			t.Errorf("%s: Writes = %v, but its rules write: %v", s.Name, s.Writes, writes)
		}
	}
	for _, c := range commands {
		if Find(c) == nil {
			t.Errorf("no set %s", c)
		}
	}
}

func TestPermissions(t *testing.T) {
	up := Find("upgrade")
	tests := []struct {
		name       string
		o          Options
		want, deny []string
	}{
		{"default", Options{}, []string{"patch plans.upgrade.cattle.io in system-upgrade", "get leases.coordination.k8s.io in kube-node-lease", "list nodes cluster-wide"},
			[]string{"delete jobs.batch in system-upgrade", "get secrets in system-upgrade", "list pods in kube-system", "get /metrics"}},
		{"namespace and features", Options{SUCNamespace: "suc", Features: []Feature{RetryFailed, PullSecrets}},
			[]string{"delete jobs.batch in suc", "get secrets in suc"}, []string{"patch plans.upgrade.cattle.io in system-upgrade"}},
		{"client dry run reads", Options{ReadOnly: true}, []string{"list plans.upgrade.cattle.io in system-upgrade"},
			[]string{"patch plans.upgrade.cattle.io in system-upgrade", "patch nodes cluster-wide"}},
		{"server dry run validates", Options{ReadOnly: true, Features: []Feature{ServerDry}},
			[]string{"create plans.upgrade.cattle.io in system-upgrade", "patch plans.upgrade.cattle.io in system-upgrade"}, []string{"delete plans.upgrade.cattle.io in system-upgrade", "patch nodes cluster-wide"}},
		{"optional", Options{Optional: true}, []string{"list pods in kube-system", "get /metrics", "list secrets cluster-wide"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range up.Permissions(tt.o) {
				got = append(got, p.String())
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("missing %q in %v", w, got)
				}
			}
			for _, d := range tt.deny {
				if slices.Contains(got, d) {
					t.Errorf("%q should not be asked: %v", d, got)
				}
			}
		})
	}
	if got := Find("upgrade-command").Permissions(Options{Features: []Feature{Drain}}); !slices.ContainsFunc(got, func(p Permission) bool { return p.String() == "create pods/eviction cluster-wide" }) {
		t.Errorf("the command driver's drain does not ask for pods/eviction: %v", got)
	}
}

// denying is a fake clientset whose access reviews allow everything but deny.
func denying(deny ...string) *fake.Clientset {
	kube := fake.NewSimpleClientset()
	kube.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authv1.SelfSubjectAccessReview)
		var p Permission
		if ra := r.Spec.ResourceAttributes; ra != nil {
			p = Permission{Verb: ra.Verb, Group: ra.Group, Resource: ra.Resource, Subresource: ra.Subresource, Namespace: ra.Namespace, Name: ra.Name}
		} else {
			p = Permission{Verb: r.Spec.NonResourceAttributes.Verb, URL: r.Spec.NonResourceAttributes.Path}
		}
		r.Status.Allowed = !slices.Contains(deny, p.String())
		return true, r, nil
	})
	return kube
}

func TestRequire(t *testing.T) {
	ctx := context.Background()
	if err := Require(ctx, denying("list pods in kube-system"), Find("check"), Options{}); err != nil {
		t.Errorf("an optional permission denied refuses check: %v", err)
	}
	err := Require(ctx, denying("patch plans.upgrade.cattle.io in suc", "get leases.coordination.k8s.io in kube-node-lease"), Find("upgrade"), Options{SUCNamespace: "suc"})
	var me *MissingError
	if !errors.As(err, &me) || len(me.Missing) != 2 {
		t.Fatalf("err = %v, want both missing", err)
	}
	msg := err.Error()
	for _, w := range []string{"upgrade (suc): forbidden", "patch plans.upgrade.cattle.io in suc, get leases.coordination.k8s.io in kube-node-lease", "deploy/rbac/upgrade.yaml", "nothing was"} {
		if !strings.Contains(msg, w) {
			t.Errorf("%q lacks %q", msg, w)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("not one line: %q", msg)
	}
	if err := Require(ctx, denying("patch plans.upgrade.cattle.io in system-upgrade"), Find("upgrade"), Options{ReadOnly: true}); err != nil {
		t.Errorf("a dry run asks for a write: %v", err)
	}
	broken := fake.NewSimpleClientset()
	broken.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("boom")
	})
	if err := Require(ctx, broken, Find("check"), Options{}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("a failed review: %v", err)
	}
}

// granted is every permission the roles of a manifest grant, as Permission strings.
func granted(t *testing.T, manifest string) (sa string, perms []string) {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("decode: %v\n%s", err, doc)
		}
		var rules []rbacv1.PolicyRule
		ns := ""
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			rules = o.Rules
		case *rbacv1.Role:
			rules, ns = o.Rules, o.Namespace
		case *rbacv1.RoleBinding:
			sa = o.Subjects[0].Name
		}
		for _, r := range rules {
			for _, v := range r.Verbs {
				for _, u := range r.NonResourceURLs {
					perms = append(perms, Permission{Verb: v, URL: u}.String())
				}
				for _, g := range r.APIGroups {
					for _, res := range r.Resources {
						name, sub, _ := strings.Cut(res, "/")
						perms = append(perms, Permission{Verb: v, Group: g, Resource: name, Subresource: sub, Namespace: ns}.String())
					}
				}
			}
		}
	}
	slices.Sort(perms)
	return sa, slices.Compact(perms)
}

// TestManifestGrantsTheTable: each generated manifest decodes as RBAC objects and
// grants exactly the set's permissions, required and optional, every feature on.
func TestManifestGrantsTheTable(t *testing.T) {
	all := []Feature{Target, Snapshot, RetryFailed, PullSecrets, NoEviction, ServerDry, Drain, Runbook}
	for i := range Table {
		s := &Table[i]
		manifest := s.Manifest()
		if s.HandWritten != "" {
			b, err := os.ReadFile(filepath.Join("..", "..", "..", filepath.FromSlash(s.HandWritten)))
			if err != nil {
				t.Fatal(err)
			}
			manifest = string(b)
		}
		_, got := granted(t, manifest)
		var want []string
		for _, p := range s.Permissions(Options{Optional: true, Features: all}) {
			want = append(want, p.String())
		}
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s grants\n%v\nthe table says\n%v", s.File(), got, want)
		}
	}
}

// TestRequireRancher: the Rancher sets ask in the Cluster's namespace, and for an
// imported cluster the one management Cluster by its id and its Nodes' namespace;
// a dry run asks no write, the optional list none.
func TestRequireRancher(t *testing.T) {
	ctx := context.Background()
	imp := Options{ImportedCluster: "c-m-abc", AfterRead: true}
	for _, tc := range []struct {
		name, set, deny string
		o               Options
		want            []string // "" when it passes
	}{
		{"imported patch", "upgrade-rancher-imported", "patch clusters.management.cattle.io c-m-abc cluster-wide", imp,
			[]string{"upgrade (rancher, imported): forbidden: this identity may not patch clusters.management.cattle.io c-m-abc cluster-wide; nothing was changed;", "deploy/rbac/upgrade-rancher-imported.yaml"}},
		{"imported nodes", "abort-rancher-imported", "list nodes.management.cattle.io in c-m-abc", imp,
			[]string{"abort (rancher, imported): forbidden: this identity may not list nodes.management.cattle.io in c-m-abc"}},
		{"imported dry run", "upgrade-rancher-imported", "patch clusters.management.cattle.io c-m-abc cluster-wide", Options{ImportedCluster: "c-m-abc", ReadOnly: true}, nil},
		{"display names are optional", "upgrade-rancher-imported", "list clusters.management.cattle.io cluster-wide", imp, nil},
		{"provisioned elsewhere", "upgrade-rancher", "get rkecontrolplanes.rke.cattle.io in team-a", Options{RancherNamespace: "team-a"},
			[]string{"may not get rkecontrolplanes.rke.cattle.io in team-a; nothing was read or changed", "(its Role for fleet-default in namespace team-a)"}},
		{"provisioned default", "rollback-rancher", "patch clusters.provisioning.cattle.io in fleet-default", Options{},
			[]string{"rollback (rancher, provisioned): forbidden: this identity may not patch clusters.provisioning.cattle.io in fleet-default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Require(ctx, denying(tc.deny), Find(tc.set), tc.o)
			if tc.want == nil {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("without %s: not refused", tc.deny)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}
