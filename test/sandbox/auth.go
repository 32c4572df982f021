package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// User is one identity in the sandbox: a static bearer token (--token-auth-file) and a
// kubeconfig context of the same name.
type User struct {
	Name    string
	Token   string
	Context string
	Groups  []string
	// Rules are granted cluster-wide through a ClusterRole of the user's name; empty
	// means only what every authenticated user may do (discovery, /version).
	Rules []rbacv1.PolicyRule
}

// Identities the e2e tests use, as kubeconfig contexts.
const (
	// ContextAdmin is cluster-admin (group system:masters); the current context.
	ContextAdmin = "sandbox"
	// ContextNodeReader may get, list and watch nodes and nothing else, so every read
	// beyond the node list is forbidden and must be reported as skipped.
	ContextNodeReader = "sandbox-node-reader"
	// ContextNoAccess may not even list nodes.
	ContextNoAccess = "sandbox-no-access"
	// ContextRancherViewer may read Rancher's objects (the Rancher mode's reads) but
	// not patch a Cluster.
	ContextRancherViewer = "sandbox-rancher-viewer"
)

func defaultUsers() []User {
	return []User{
		{Name: "admin", Context: ContextAdmin, Groups: []string{"system:masters"}},
		{Name: "node-reader", Context: ContextNodeReader, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"},
		}}},
		{Name: "no-access", Context: ContextNoAccess},
		{Name: "rancher-viewer", Context: ContextRancherViewer, Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"provisioning.cattle.io", "rke.cattle.io", "cluster.x-k8s.io", "management.cattle.io"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}},
			// Discovery, which kubectl and the plugin read first.
			{NonResourceURLs: []string{"/api", "/api/*", "/apis", "/apis/*", "/version"}, Verbs: []string{"get"}},
		}},
	}
}

func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// writeTokenFile gives every user a fresh token and writes the apiserver's CSV:
// token,user,uid,"group1,group2".
func writeTokenFile(path string, users []User) error {
	var b strings.Builder
	for i := range users {
		tok, err := randomToken()
		if err != nil {
			return err
		}
		users[i].Token = tok
		fmt.Fprintf(&b, "%s,%s,%s", tok, users[i].Name, users[i].Name)
		if len(users[i].Groups) > 0 {
			fmt.Fprintf(&b, ",\"%s\"", strings.Join(users[i].Groups, ","))
		}
		b.WriteString("\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write token file: %w", err)
	}
	return nil
}

// grantRules creates a ClusterRole and binding per restricted user.
func grantRules(ctx context.Context, kube kubernetes.Interface, users []User) error {
	for _, u := range users {
		if len(u.Rules) == 0 {
			continue
		}
		name := "sandbox:" + u.Name
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: u.Rules}
		if _, err := kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("grant %s: %w", u.Name, err)
		}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: u.Name}},
		}
		if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("grant %s: %w", u.Name, err)
		}
	}
	return nil
}

// writeKubeconfig writes one kubeconfig with a context per user; the admin's is current.
func writeKubeconfig(path, server string, caPEM []byte, users []User) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["sandbox"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	for _, u := range users {
		cfg.AuthInfos[u.Name] = &clientcmdapi.AuthInfo{Token: u.Token}
		cfg.Contexts[u.Context] = &clientcmdapi.Context{Cluster: "sandbox", AuthInfo: u.Name, Namespace: "default"}
	}
	cfg.CurrentContext = ContextAdmin
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}
