package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
)

// TestNodesimInstall runs nodesim-install as `kubectl skew upgrade --driver command`
// will: a fixed command line through a shell, the node's facts only in the
// environment. The node goes NotReady before the command returns, then its kubelet
// is back Ready on the release, then its static and kube-proxy pods move to it; the
// simulator never cordons. --never leaves the node down for good; --fail (and the
// node's fail annotation) exit 3 and change nothing.
func TestNodesimInstall(t *testing.T) {
	t.Run("k3s agent", func(t *testing.T) {
		seed(t, "k3s-healthy-ha")
		const node, from, to = "k3s-agent-1", "v1.30.14+k3s1", "v1.31.13+k3s1"
		checkInstall(t, node, "agent", "k3s", from, to)
	})

	t.Run("rke2 server", func(t *testing.T) {
		seed(t, "rke2-etcd")
		const node, from, to = "rke2-server-1.lab.example", "v1.31.13+rke2r1", "v1.32.12+rke2r1"
		checkInstall(t, node, "server", "rke2", from, to)
		waitFor(t, node+"'s static pods on "+to, func() (bool, string) {
			return podsOn(t, node, to)
		})
		// The pods moved after the kubelet was back (PodLag later): in the log,
		// pods-moved follows node-upgraded, which checkInstall already ordered.

		// The same release again is a new request (a new id), and RKE2's own restart
		// in the operator's command restarts the node again.
		since := time.Now()
		r := runInstall(t, "nodesim-install", driverEnv(node, "server", "rke2", to, to))
		if r.code != 0 || !strings.Contains(r.stdout, "rke2-server restarted") {
			t.Fatalf("the second install on %s: %s", node, r)
		}
		waitFor(t, node+" back after the second install", func() (bool, string) {
			return hasEvents(since, node, nodesim.EventInstallRequested, nodesim.EventNodeDown, nodesim.EventNodeUpgraded, nodesim.EventPodsMoved)
		})
	})

	t.Run("k3s release already installed", func(t *testing.T) {
		seed(t, "k3s-healthy-ha")
		const node, v = "k3s-server-2", "v1.30.14+k3s1"
		since := time.Now()
		states := watchNode(t, node)
		r := runInstall(t, "nodesim-install", driverEnv(node, "server", "k3s", v, v))
		if r.code != 0 || !strings.Contains(r.stdout, "no change, k3s not restarted") || r.stderr != "" {
			t.Fatalf("want exit 0, no change:\n%s", r)
		}
		if ok, got := hasEvents(since, node, nodesim.EventInstallRequested); !ok {
			t.Errorf("the simulator did not take the request; events: %s", got)
		}
		time.Sleep(500 * time.Millisecond)
		for _, s := range states() {
			if s.ready != corev1.ConditionTrue {
				t.Errorf("%s went %s although K3s's install script does not restart an unchanged service", node, s.ready)
			}
		}
		for _, e := range eventsSince(since) {
			if e.Node == node && e.Event == nodesim.EventNodeDown {
				t.Errorf("unexpected %+v", e)
			}
		}
	})

	t.Run("never", func(t *testing.T) {
		seed(t, "k3s-healthy-ha")
		const node, from, to = "k3s-agent-2", "v1.30.14+k3s1", "v1.31.13+k3s1"
		ctx := context.Background()
		// The freshly seeded node's kubelet first writes its Lease (within the 5 s
		// renewal round), so that there is one to stop renewing.
		waitFor(t, node+"'s Lease", func() (bool, string) {
			n, err := env.sb.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			l, err := env.sb.Client.CoordinationV1().Leases("kube-node-lease").Get(ctx, node, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			return len(l.OwnerReferences) == 1 && l.OwnerReferences[0].UID == n.UID, "owned by an earlier node"
		})
		since := time.Now()
		r := runInstall(t, "nodesim-install --never", driverEnv(node, "agent", "k3s", from, to))
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("want exit 0:\n%s", r)
		}
		// A renewal already under way when the node went down may still land.
		time.Sleep(500 * time.Millisecond)
		lease, err := env.sb.Client.CoordinationV1().Leases("kube-node-lease").Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Longer than the restart and pod lag (1 s each) and the Lease interval (5 s).
		time.Sleep(6 * time.Second)
		n, err := env.sb.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := readyOf(n); got == corev1.ConditionTrue || n.Status.NodeInfo.KubeletVersion != from || n.Annotations[nodesim.AnnotationComeBack] != "never" {
			t.Errorf("%s: Ready %s, kubelet %s, come-back %q; want it down on %s for good", node, got, n.Status.NodeInfo.KubeletVersion, n.Annotations[nodesim.AnnotationComeBack], from)
		}
		later, err := env.sb.Client.CoordinationV1().Leases("kube-node-lease").Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !later.Spec.RenewTime.Equal(lease.Spec.RenewTime) {
			t.Errorf("%s's Lease was renewed while it is down: %v, then %v", node, lease.Spec.RenewTime, later.Spec.RenewTime)
		}
		if ok, got := hasEvents(since, node, nodesim.EventInstallRequested, nodesim.EventNodeDown); !ok {
			t.Errorf("events: %s", got)
		}
		for _, e := range eventsSince(since) {
			if e.Node == node && (e.Event == nodesim.EventNodeUpgraded || e.Event == nodesim.EventPodsMoved) {
				t.Errorf("%s came back: %+v", node, e)
			}
		}
	})

	t.Run("fail", func(t *testing.T) {
		seed(t, "k3s-healthy-ha")
		const node, from, to = "k3s-agent-3", "v1.30.14+k3s1", "v1.31.13+k3s1"
		since := time.Now()
		facts := driverEnv(node, "agent", "k3s", from, to)
		for _, tc := range []struct {
			name, cmd, message string
			env                []string
			annotate           bool
			atLeast            time.Duration
		}{
			{name: "--fail", cmd: "nodesim-install --fail 'disk full'", message: "disk full"},
			{name: "NODESIM_INSTALL_FAIL", cmd: "nodesim-install", env: []string{"NODESIM_INSTALL_FAIL=curl: (6) Could not resolve host: get.k3s.io"}, message: "curl: (6) Could not resolve host: get.k3s.io"},
			{name: "--sleep then --fail", cmd: "nodesim-install --sleep 1s --fail late", message: "late", atLeast: time.Second},
			{name: "the node's fail annotation", cmd: "nodesim-install", annotate: true, message: "no space left on device"},
		} {
			if tc.annotate {
				annotate(t, node, nodesim.AnnotationFail, tc.message)
			}
			r := runInstall(t, tc.cmd, append(append([]string{}, facts...), tc.env...))
			if r.code != 3 || r.stderr != tc.message+"\n" || r.stdout != "" || r.took < tc.atLeast {
				t.Errorf("%s: want exit 3 after at least %v, stderr %q and nothing on stdout:\n%s", tc.name, tc.atLeast, tc.message, r)
			}
		}
		patch(t, node, `{"metadata":{"annotations":{"`+nodesim.AnnotationFail+`":null}}}`)

		// Bad input that only the cluster can tell: exit 2, one line.
		for _, tc := range []struct{ node, version, want string }{
			{"no-such-node", to, `node "no-such-node" not found`},
			{node, "v1.31.13+rke2r1", "node k3s-agent-3 runs v1.30.14+k3s1, a K3s release: v1.31.13+rke2r1 is an RKE2 release"},
		} {
			r := runInstall(t, "nodesim-install", driverEnv(tc.node, "agent", "k3s", from, tc.version))
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
				t.Errorf("%s %s: want exit 2 and one line with %q:\n%s", tc.node, tc.version, tc.want, r)
			}
		}

		n, err := env.sb.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{nodesim.AnnotationInstall, nodesim.AnnotationInstallID, nodesim.AnnotationInstallDone, nodesim.AnnotationComeBack} {
			if v, ok := n.Annotations[key]; ok {
				t.Errorf("%s carries %s=%q after failed installs", node, key, v)
			}
		}
		if readyOf(n) != corev1.ConditionTrue || n.Status.NodeInfo.KubeletVersion != from || n.Spec.Unschedulable {
			t.Errorf("%s changed: Ready %s, kubelet %s, unschedulable %v", node, readyOf(n), n.Status.NodeInfo.KubeletVersion, n.Spec.Unschedulable)
		}
		for _, e := range eventsSince(since) {
			if e.Node == node {
				t.Errorf("the simulator acted on %s: %+v", node, e)
			}
		}
	})
}

// checkInstall runs nodesim-install for node and checks what the driver would see:
// exit 0 once the node is NotReady, then the kubelet back Ready on to, the simulator's
// events in order with From and Version, and the node never cordoned.
func checkInstall(t *testing.T, node, role, distro, from, to string) {
	t.Helper()
	since := time.Now()
	states := watchNode(t, node)
	r := runInstall(t, "nodesim-install", driverEnv(node, role, distro, from, to))
	returned := time.Now()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("nodesim-install on %s: %s", node, r)
	}
	if out := lines(r.stdout); len(out) != 2 || !strings.Contains(out[0], node) || !strings.Contains(out[0], to) || !strings.Contains(out[1], "NotReady") {
		t.Errorf("want two lines naming %s, %s and NotReady:\n%s", node, to, r)
	}
	t.Logf("nodesim-install took %v:\n%s", r.took.Round(time.Millisecond), r.stdout)

	// The command returned only after the node went down, as a real install script
	// returns after `systemctl restart`: now it is down, or (after RestartDelay)
	// already back on the new release, never still Ready on the old one.
	n, err := env.sb.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if readyOf(n) == corev1.ConditionTrue && n.Status.NodeInfo.KubeletVersion == from {
		t.Errorf("%s is still Ready on %s after the command returned", node, from)
	}
	for _, e := range eventsSince(since) {
		if e.Node == node && e.Event == nodesim.EventNodeDown && e.Time.After(returned) {
			t.Errorf("%s went down at %s, after the command returned at %s", node, e.Time.Format("15:04:05.000"), returned.Format("15:04:05.000"))
		}
	}
	waitFor(t, node+" Ready on "+to, func() (bool, string) {
		n, err := env.sb.Client.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return n.Status.NodeInfo.KubeletVersion == to && readyOf(n) == corev1.ConditionTrue,
			fmt.Sprintf("kubelet %s, Ready %s", n.Status.NodeInfo.KubeletVersion, readyOf(n))
	})
	waitFor(t, "the simulator's events for "+node, func() (bool, string) {
		return hasEvents(since, node, nodesim.EventInstallRequested, nodesim.EventNodeDown, nodesim.EventNodeUpgraded, nodesim.EventPodsMoved)
	})
	for _, e := range eventsSince(since) {
		if e.Event == nodesim.EventError {
			t.Errorf("simulator error: %+v", e)
		}
		if e.Node == node && (e.From != from || e.Version != to) {
			t.Errorf("%s: from %q to %q, want %s to %s", e.Event, e.From, e.Version, from, to)
		}
	}

	// What the API showed: Ready on the old release, NotReady, then Ready on the new
	// one, and never unschedulable (the driver cordons, not the node).
	seen := states()
	down, back := -1, -1
	for i, s := range seen {
		if s.unschedulable {
			t.Errorf("%s was cordoned: %+v", node, s)
		}
		if down < 0 && s.ready != corev1.ConditionTrue {
			down = i
			if s.version != from {
				t.Errorf("%s went down already on %s", node, s.version)
			}
		}
		if back < 0 && s.version == to && s.ready == corev1.ConditionTrue {
			back = i
		}
	}
	if down < 0 || back < down {
		t.Errorf("%s: want NotReady, then Ready on %s; the watch saw %+v", node, to, seen)
	}
}

// runInstall runs cmdline through a shell with the command driver's environment:
// PATH with nodesim-install, KUBECONFIG, and facts (NAME=value) only as variables.
func runInstall(t *testing.T, cmdline string, facts []string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline)
	cmd.Env = append([]string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig, "LANG=C.UTF-8"}, facts...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", cmdline, err)
	}
	return r
}

// driverEnv is what the command driver exports for one node of a one-hop upgrade.
func driverEnv(node, role, distro, from, to string) []string {
	return []string{"SKEW_NODE=" + node, "SKEW_ROLE=" + role, "SKEW_DISTRO=" + distro,
		"SKEW_FROM_VERSION=" + from, "SKEW_VERSION=" + to, "SKEW_HOP=1"}
}

// nodeState is one update of a Node as a watch delivered it.
type nodeState struct {
	ready         corev1.ConditionStatus
	version       string
	unschedulable bool
}

// watchNode records every update of node from now on; the returned func reads them.
func watchNode(t *testing.T, node string) func() []nodeState {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := env.sb.Client.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	w, err := env.sb.Client.CoreV1().Nodes().Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + node, ResourceVersion: n.ResourceVersion})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := []nodeState{{readyOf(n), n.Status.NodeInfo.KubeletVersion, n.Spec.Unschedulable}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if n, ok := ev.Object.(*corev1.Node); ok && ev.Type == watch.Modified {
				mu.Lock()
				seen = append(seen, nodeState{readyOf(n), n.Status.NodeInfo.KubeletVersion, n.Spec.Unschedulable})
				mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		w.Stop()
		cancel()
		<-done
	})
	return func() []nodeState {
		mu.Lock()
		defer mu.Unlock()
		return append([]nodeState(nil), seen...)
	}
}

func readyOf(n *corev1.Node) corev1.ConditionStatus {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status
		}
	}
	return corev1.ConditionUnknown
}

// hasEvents reports whether node's events since t0 include want in that order, and
// the events it saw.
func hasEvents(t0 time.Time, node string, want ...string) (bool, string) {
	var got []string
	i := 0
	for _, e := range eventsSince(t0) {
		if e.Node != node {
			continue
		}
		got = append(got, e.Event)
		if i < len(want) && e.Event == want[i] {
			i++
		}
	}
	return i == len(want), strings.Join(got, ", ")
}

// podsOn reports whether node's control-plane and kube-proxy pods run release v
// (RKE2 spells it v1.32.12-rke2r1 in hardened-kubernetes tags); etcd's image has a
// version of its own and stays.
func podsOn(t *testing.T, node, v string) (bool, string) {
	t.Helper()
	pods, err := env.sb.Client.CoreV1().Pods(metav1.NamespaceSystem).List(context.Background(), metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return false, err.Error()
	}
	tag := ":" + strings.ReplaceAll(v, "+", "-") + "-"
	var wrong []string
	kube := 0
	for _, p := range pods.Items {
		for _, c := range p.Spec.Containers {
			if !strings.Contains(c.Image, "hardened-kubernetes") {
				continue
			}
			kube++
			if !strings.Contains(c.Image, tag) || p.Status.Phase != corev1.PodRunning {
				wrong = append(wrong, fmt.Sprintf("%s %s %s", p.Name, c.Image, p.Status.Phase))
			}
		}
	}
	if kube == 0 {
		return false, "no hardened-kubernetes pod on " + node
	}
	return len(wrong) == 0, strings.Join(wrong, "; ")
}
