// Command nodesim-install is what a test gives `kubectl skew upgrade --driver command`
// as its command: it plays on a sandbox node what the operator's own install command
// does on a real host (the install script replaces the K3s or RKE2 binary and the
// service restarts). It asks the node simulator for that with the node's
// nodesim.kubectl-skew.io/install annotations (test/nodesim/install.go) and returns,
// as the real script does after `systemctl restart`, once the node went NotReady;
// the simulator then brings the node back on the release. The node and release come
// from the environment the driver sets (SKEW_NODE, SKEW_VERSION), and are only ever
// used as values: no shell sees them. See docs/sandbox.md.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
)

// Exit codes.
const (
	exitOK      = 0
	exitTrouble = 1 // the cluster or the simulator did not answer in time
	exitUsage   = 2 // bad or missing input
	exitFailed  = 3 // the install failed as it was told to
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c, err := parse(args, getenv, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "nodesim-install: %v\n", err)
		return exitUsage
	}
	// Before anything: a test may abort the upgrade from elsewhere while this runs.
	time.Sleep(c.sleep)
	if c.fail != "" {
		fmt.Fprintln(stderr, c.fail)
		return exitFailed
	}
	code, err := install(c, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "nodesim-install: %v\n", err)
	}
	return code
}

// install requests the install on the node and waits until the simulator took it.
func install(c config, stdout, stderr io.Writer) (int, error) {
	kube, err := client(c.kubeconfig)
	if err != nil {
		return exitUsage, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	nodes := kube.CoreV1().Nodes()
	node, err := nodes.Get(ctx, c.node, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return exitUsage, fmt.Errorf("node %q not found", c.node)
	}
	if err != nil {
		return exitTrouble, fmt.Errorf("get node %s: %w", c.node, err)
	}
	// The simulator's per-node faults apply to this command as to an SUC Job, so a
	// test can make one node of many fail or hang.
	if msg := node.Annotations[nodesim.AnnotationFail]; msg != "" {
		fmt.Fprintln(stderr, msg)
		return exitFailed, nil
	}
	running := node.Status.NodeInfo.KubeletVersion
	want, have := nodesim.ReleaseDistro(c.version), nodesim.ReleaseDistro(running)
	if have == "" {
		return exitUsage, fmt.Errorf("node %s runs %q, neither K3s nor RKE2", c.node, running)
	}
	if have != want {
		names := map[string]string{"k3s": "a K3s", "rke2": "an RKE2"}
		return exitUsage, fmt.Errorf("node %s runs %s, %s release: %s is %s release", c.node, running, names[have], c.version, names[want])
	}
	if msg := node.Annotations[nodesim.AnnotationHang]; msg != "" {
		fmt.Fprintf(stdout, "nodesim-install: %s: installing %s hangs (%s=%s): until killed\n", c.node, c.version, nodesim.AnnotationHang, msg)
		for {
			time.Sleep(time.Hour) // a stuck download: only the caller's timeout or a signal ends it
		}
	}

	id, err := requestID()
	if err != nil {
		return exitTrouble, err
	}
	annotations := map[string]string{nodesim.AnnotationInstall: c.version, nodesim.AnnotationInstallID: id}
	if c.never {
		annotations[nodesim.AnnotationComeBack] = "never"
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": annotations}})
	if err != nil {
		return exitTrouble, fmt.Errorf("request the install: %w", err)
	}
	began := time.Now()
	if _, err := nodes.Patch(ctx, c.node, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		return exitTrouble, fmt.Errorf("request the install on node %s: %w", c.node, err)
	}
	req := nodesim.InstallRequest(c.version, id)
	fmt.Fprintf(stdout, "nodesim-install: %s: installing %s over %s (request %s)\n", c.node, c.version, running, req)

	outcome, err := waitTaken(ctx, kube, c.node, req)
	if err != nil {
		return exitTrouble, fmt.Errorf("%s: the service did not restart within %v (is the node simulator running?): %w", c.node, c.timeout, err)
	}
	service := serviceName(node, have)
	if outcome == nodesim.InstallUnchanged {
		fmt.Fprintf(stdout, "nodesim-install: %s: %s was installed already: no change, %s not restarted\n", c.node, c.version, service)
		return exitOK, nil
	}
	fmt.Fprintf(stdout, "nodesim-install: %s: %s restarted, node NotReady after %.1fs\n", c.node, service, time.Since(began).Seconds())
	return exitOK, nil
}

// waitTaken polls until the simulator recorded the request, which it does once the
// node is NotReady (or, unchanged, once it decided not to restart it), and returns
// the outcome.
func waitTaken(ctx context.Context, kube kubernetes.Interface, node, req string) (string, error) {
	for {
		n, err := kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err == nil {
			if done, outcome := nodesim.ParseInstallDone(n.Annotations[nodesim.AnnotationInstallDone]); done == req {
				return outcome, nil
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return "", fmt.Errorf("get node: %w", err)
			}
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func client(kubeconfig []string) (kubernetes.Interface, error) {
	rules := &clientcmd.ClientConfigLoadingRules{Precedence: kubeconfig}
	if len(kubeconfig) == 1 {
		// One file must exist; Precedence alone would skip a mistyped path silently.
		rules = &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfig[0]}
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	cfg.UserAgent = "nodesim-install"
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	return kube, nil
}

// requestID makes this run's request distinct from any earlier one on the node.
func requestID() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("request id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// serviceName is the systemd unit the install restarts, for the log line: servers
// (etcd-only ones too) run the server unit.
func serviceName(n *corev1.Node, distro string) string {
	_, cp := n.Labels["node-role.kubernetes.io/control-plane"]
	_, etcd := n.Labels["node-role.kubernetes.io/etcd"]
	switch {
	case distro == "k3s" && (cp || etcd):
		return "k3s"
	case distro == "k3s":
		return "k3s-agent"
	case cp || etcd:
		return "rke2-server"
	}
	return "rke2-agent"
}
