package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// lockedBuffer is written by a running process and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// watchProcess is `kubectl skew watch` running in the background.
type watchProcess struct {
	cmd         *exec.Cmd
	out, errOut *lockedBuffer
	done        chan struct{}
	addr        string
}

var servingRE = regexp.MustCompile(`serving metrics on http://(\S+)/metrics`)

// startWatch runs `kubectl skew watch --metrics-addr 127.0.0.1:0 args...` through
// kubectl's plugin discovery and waits for its address and /readyz.
func startWatch(t *testing.T, kubeconfig string, args ...string) *watchProcess {
	t.Helper()
	all := append([]string{"skew", "watch", "--metrics-addr", "127.0.0.1:0"}, args...)
	cmd := exec.Command(env.sb.Tools.Kubectl, all...)
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + kubeconfig, "NO_COLOR=1"}
	w := &watchProcess{cmd: cmd, out: &lockedBuffer{}, errOut: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = w.out, w.errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-w.done
	})
	deadline := time.Now().Add(30 * time.Second)
	for w.addr == "" {
		if m := servingRE.FindStringSubmatch(w.errOut.String()); m != nil {
			w.addr = m[1]
		}
		select {
		case <-w.done:
			t.Fatalf("watch exited: %v\nstderr %s", cmd.ProcessState, w.errOut)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch did not say where it serves within 30s; stderr %s", w.errOut)
		}
	}
	for {
		if r, err := httpGet("http://" + w.addr + "/readyz"); err == nil && r == 200 {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch not ready within 30s; stderr %s", w.errOut)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM, as the kubelet does, and returns the exit code.
func (w *watchProcess) stop(t *testing.T) int {
	t.Helper()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("watch still running 10s after SIGTERM")
	}
	return w.cmd.ProcessState.ExitCode()
}

// applyWatchRBAC creates the Namespace, ServiceAccount, roles and bindings of
// deploy/watch.yaml (the Deployment and Service need a scheduler and kubelets the
// sandbox does not run) and returns a kubeconfig with a token of that ServiceAccount.
func applyWatchRBAC(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	kube := env.sb.Client
	b, err := os.ReadFile(filepath.Join(env.root, "deploy", "watch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var sa *corev1.ServiceAccount
	for _, doc := range strings.Split(string(b), "\n---\n") {
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("deploy/watch.yaml: %v", err)
		}
		var del func() error
		switch o := obj.(type) {
		case *corev1.Namespace:
			_, err = kube.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
			del = func() error { return kube.CoreV1().Namespaces().Delete(ctx, o.Name, metav1.DeleteOptions{}) }
		case *corev1.ServiceAccount:
			sa = o
			_, err = kube.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
		case *rbacv1.ClusterRole:
			_, err = kube.RbacV1().ClusterRoles().Create(ctx, o, metav1.CreateOptions{})
			del = func() error { return kube.RbacV1().ClusterRoles().Delete(ctx, o.Name, metav1.DeleteOptions{}) }
		case *rbacv1.ClusterRoleBinding:
			_, err = kube.RbacV1().ClusterRoleBindings().Create(ctx, o, metav1.CreateOptions{})
			del = func() error { return kube.RbacV1().ClusterRoleBindings().Delete(ctx, o.Name, metav1.DeleteOptions{}) }
		case *rbacv1.Role:
			_, err = kube.RbacV1().Roles(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error { return kube.RbacV1().Roles(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{}) }
		case *rbacv1.RoleBinding:
			_, err = kube.RbacV1().RoleBindings(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error {
				return kube.RbacV1().RoleBindings(o.Namespace).Delete(ctx, o.Name, metav1.DeleteOptions{})
			}
		default:
			continue // Deployment, Service
		}
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatalf("create %T from deploy/watch.yaml: %v", obj, err)
		}
		if del != nil {
			t.Cleanup(func() { _ = del() })
		}
	}
	if sa == nil {
		t.Fatal("deploy/watch.yaml has no ServiceAccount")
	}
	return tokenKubeconfig(t, sa.Namespace, sa.Name)
}

// tokenKubeconfig is the sandbox's kubeconfig with a fresh token of a ServiceAccount
// (TokenRequest) for the current context's user.
func tokenKubeconfig(t *testing.T, namespace, name string) string {
	t.Helper()
	expiry := int64(3600)
	tok, err := env.sb.Client.CoreV1().ServiceAccounts(namespace).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/%s: %v", namespace, name, err)
	}
	cfg, err := clientcmd.LoadFromFile(env.sb.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	user := cfg.Contexts[cfg.CurrentContext].AuthInfo
	cfg.AuthInfos[user].Token = tok.Status.Token
	path := filepath.Join(t.TempDir(), name+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// oldNode is an agent whose kubelet is four minors behind k3s-healthy-ha's v1.30.
func oldNode(name string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Status: corev1.NodeStatus{
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.26.15+k3s1", OperatingSystem: "linux", Architecture: "amd64"},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
}

func createNode(t *testing.T, n *corev1.Node) {
	t.Helper()
	// A node keeps the status it is created with (no kubelet here to write it).
	if _, err := env.sb.Client.CoreV1().Nodes().Create(context.Background(), n, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func deleteNode(t *testing.T, name string) {
	t.Helper()
	if err := env.sb.Client.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}

func findingQuery(node string) string {
	return fmt.Sprintf(`kubectl_skew_findings{id="SKEW102",subject="node/%s"}`, node)
}

func nonZero(res []string) bool { return len(res) == 1 && !strings.HasSuffix(res[0], " 0") }
func none(res []string) bool    { return len(res) == 0 }

// TestWatchPrometheus runs the watch with exactly the permissions of deploy/watch.yaml,
// scraped by a real Prometheus: an old node joining shows up within 5 seconds, a node
// leaving takes its series along, and an apiserver restart changes no value.
func TestWatchPrometheus(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	w := startWatch(t, applyWatchRBAC(t))
	prom := startPrometheus(t, w.addr)
	prom.waitQuery(t, `kubectl_skew_nodes`, 15*time.Second, func(r []string) bool { return len(r) == 1 && strings.HasSuffix(r[0], " 8") })

	const node = "watch-old-agent"
	t.Cleanup(func() { deleteNode(t, node) })
	start := time.Now()
	createNode(t, oldNode(node))
	res, _ := prom.waitQuery(t, findingQuery(node), 15*time.Second, nonZero)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("node %s took %v to show up in Prometheus, want at most 5s", node, took)
	}
	t.Logf("joined: %v in Prometheus after %v", res, time.Since(start).Round(time.Millisecond))
	if !strings.Contains(res[0], "severity=error") {
		t.Errorf("series %v: want severity error", res)
	}

	deleteNode(t, node)
	_, took := prom.waitQuery(t, findingQuery(node), 15*time.Second, none)
	t.Logf("left: series gone from Prometheus after %v", took.Round(time.Millisecond))

	// Back, then the apiserver restarts under the watch: every value stays as it was,
	// during the outage and after, and a node joining afterwards is seen (it re-watched).
	createNode(t, oldNode(node))
	prom.waitQuery(t, findingQuery(node), 15*time.Second, nonZero)
	const all = `{__name__=~"kubectl_skew_.+",__name__!="kubectl_skew_last_evaluation_timestamp_seconds"}`
	time.Sleep(1500 * time.Millisecond) // a scrape with every series of the new state
	before := prom.query(t, all)
	restarted := make(chan error, 1)
	began := time.Now()
	go func() { restarted <- env.sb.RestartAPIServer(context.Background()) }()
	for waiting := true; waiting; {
		select {
		case err := <-restarted:
			if err != nil {
				t.Fatal(err)
			}
			waiting = false
		case <-time.After(500 * time.Millisecond):
		}
		if got := prom.query(t, all); !equal(got, before) {
			t.Fatalf("values changed during the apiserver restart:\nbefore %v\nduring %v", before, got)
		}
	}
	t.Logf("apiserver restarted in %v; values unchanged throughout", time.Since(began).Round(time.Millisecond))
	const late = "watch-late-agent"
	t.Cleanup(func() { deleteNode(t, late) })
	createNode(t, oldNode(late))
	_, took = prom.waitQuery(t, findingQuery(late), 30*time.Second, nonZero)
	t.Logf("a node joining after the restart: in Prometheus after %v", took.Round(time.Millisecond))
	deleteNode(t, late)
	prom.waitQuery(t, findingQuery(late), 15*time.Second, none)
	time.Sleep(1500 * time.Millisecond)
	if after := prom.query(t, all); !equal(after, before) {
		t.Errorf("values after the apiserver restart differ:\nbefore %v\nafter  %v", before, after)
	}

	if code := w.stop(t); code != 0 {
		t.Errorf("exit %d after SIGTERM, want 0; stderr %s", code, w.errOut)
	}
	t.Logf("watch stderr:\n%s", w.errOut)
	if !strings.Contains(w.out.String(), "new: error SKEW102 node/"+node) {
		t.Errorf("stdout has no line for the old node:\n%s", w.out)
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

// TestWatchBadInput: RBAC that forbids the watch, a port in use: one line, exit 1.
func TestWatchBadInput(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	busy := startPrometheus(t, "127.0.0.1:1")
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"nodes forbidden", []string{"--context", sandbox.ContextNoAccess}, "watch nodes: forbidden"},
		{"pods forbidden", []string{"--context", sandbox.ContextNodeReader}, "watch pods in kube-system: forbidden"},
		{"port in use", []string{"--metrics-addr", strings.TrimPrefix(busy.url, "http://")}, "the port is in use"},
		{"bad address", []string{"--metrics-addr", "localhost"}, "use HOST:PORT"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := skew(t, append([]string{"watch"}, tt.args...)...)
			oneLineError(t, r, 10*time.Second)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q, want %q", r.stderr, tt.want)
			}
		})
	}
}

// TestWatchListWithoutWatch: RBAC that lets the ServiceAccount list nodes but not
// watch them (an informer would sync, then never hear of a change) fails at the start.
func TestWatchListWithoutWatch(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	ctx := context.Background()
	kube := env.sb.Client
	const name = "skew-list-only"
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"}}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes", "pods"}, Verbs: []string{"list"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: "default"}},
	}
	if _, err := kube.CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := kube.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.RbacV1().ClusterRoleBindings().Delete(ctx, name, metav1.DeleteOptions{})
		_ = kube.RbacV1().ClusterRoles().Delete(ctx, name, metav1.DeleteOptions{})
		_ = kube.CoreV1().ServiceAccounts("default").Delete(ctx, name, metav1.DeleteOptions{})
	})
	r := kubectl(t, tokenKubeconfig(t, "default", name), "skew", "watch", "--metrics-addr", "127.0.0.1:0")
	oneLineError(t, r, 10*time.Second)
	if !strings.Contains(r.stderr, `cannot watch resource "nodes"`) {
		t.Errorf("stderr %q: want the forbidden watch on nodes", r.stderr)
	}
}

// httpGet returns the status code of a GET.
func httpGet(u string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
