package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

const k3sTwoHops = "v1.32.11+k3s3"

// TestCommandDriverK3sHATwoHops: --driver command walks HA K3s across two hops with
// the operator's command (here the simulator's install program): servers one at a
// time, each back before the next, agents after the whole control plane, every node
// on the target, nothing of ours left cordoned, the run record done, and a second
// run that changes nothing.
func TestCommandDriverK3sHATwoHops(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	cleanRun(t)
	since := time.Now()
	r := upgradeCmd(t, k3sChannels(), "--driver", "command", "--command", "nodesim-install", "--version", k3sTwoHops, "--yes")
	t.Logf("upgrade took %v", r.took.Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{"hop 1 of 2 -> v1.31.13+k3s1", "hop 2 of 2 -> " + k3sTwoHops, "Upgrade complete: every node runs " + k3sTwoHops} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q\n%s", want, r)
		}
	}
	events := installEvents(since)
	checkCommandOrder(t, events, serverNames(t))
	for node, n := range upgradesPerNode(events) {
		if n != 2 {
			t.Errorf("%s was reinstalled %d times, want 2 (one per hop)", node, n)
		}
	}
	allOn(t, k3sTwoHops)
	noneCordoned(t)
	if rec := runRecord(t); rec == nil || rec.State != runrecord.StateDone || len(rec.Nodes) != 16 {
		t.Errorf("run record: %+v", rec)
	}
	if st := skew(t, "status", "-o", "json"); st.code != 0 || !strings.Contains(st.stdout, `"state": "complete"`) {
		t.Errorf("status after the run: %s", st)
	}
	settle(t)
	again := upgradeCmd(t, k3sChannels(), "--driver", "command", "--command", "nodesim-install", "--version", k3sTwoHops, "--yes")
	if again.code != 0 || !strings.Contains(again.stdout, "Nothing to do") {
		t.Errorf("a second run must change nothing: %s", again)
	}
}

// TestCommandDriverRKE2GatedOnStaticPods: on RKE2 the next server starts only once
// the one before runs its control-plane static pods on the release.
func TestCommandDriverRKE2GatedOnStaticPods(t *testing.T) {
	fresh(t, "rke2-etcd", nil)
	cleanRun(t)
	since := time.Now()
	r := upgradeCmd(t, rke2Channels(), "--driver", "command", "--command", "nodesim-install", "--version", rke2Target, "--yes", "--drain=false")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	events := installEvents(since)
	servers := serverNames(t)
	checkCommandOrder(t, events, servers)
	// After a control-plane server's restart, its pods move before any other server starts.
	moved := map[string]bool{}
	var waiting string
	for _, e := range events {
		switch {
		case e.Event == nodesim.EventInstallRequested && servers[e.Node]:
			if waiting != "" && !moved[waiting] {
				t.Errorf("server %s started before %s's static pods were on its release\n%s", e.Node, waiting, dump(events))
			}
			waiting = ""
		case e.Event == nodesim.EventNodeUpgraded && servers[e.Node] && strings.HasPrefix(e.Node, "rke2-server"):
			waiting, moved[e.Node] = e.Node, false
		case e.Event == nodesim.EventPodsMoved:
			moved[e.Node] = true
		}
	}
	allOn(t, rke2Target)
}

// TestCommandDriverFailingCommandResumes: a command that fails stops the run naming
// the node, its exit status and its log; that node stays cordoned, no other node
// starts; once fixed, the same command resumes and converges.
func TestCommandDriverFailingCommandResumes(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	cleanRun(t)
	setAnnotation(t, "k3s-agent-3", nodesim.AnnotationFail, "disk full")
	since := time.Now()
	args := []string{"--driver", "command", "--command", "nodesim-install", "--version", "v1.31.13+k3s1", "--yes", "--concurrency", "1"}
	r := upgradeCmd(t, k3sChannels(), args...)
	if r.code != 1 || !strings.Contains(r.stderr, "node k3s-agent-3: the command exited with status 3") || !strings.Contains(r.stderr, "k3s-agent-3.log") || !strings.Contains(r.stderr, "disk full") {
		t.Fatalf("want a stop naming the node, the status and the log: %s", r)
	}
	if n := node(t, "k3s-agent-3"); !n.Spec.Unschedulable {
		t.Errorf("the failed node must stay cordoned")
	}
	for _, e := range installEvents(since) {
		if e.Event == nodesim.EventInstallRequested && e.Time.After(failedAt(t, since, "k3s-agent-3")) {
			t.Errorf("%s started after k3s-agent-3 failed", e.Node)
		}
	}
	if st := skew(t, "status"); st.code != 3 || !strings.Contains(st.stdout, "k3s-agent-3") || !strings.Contains(st.stdout, "failed") {
		t.Errorf("status must show the failed run: %s", st)
	}
	setAnnotation(t, "k3s-agent-3", nodesim.AnnotationFail, "")
	again := upgradeCmd(t, k3sChannels(), args...)
	if again.code != 0 {
		t.Fatalf("the re-run must converge: %s", again)
	}
	for node, n := range upgradesPerNode(installEvents(since)) {
		if n != 1 {
			t.Errorf("%s was reinstalled %d times, want once: a re-run skips the nodes already on the release", node, n)
		}
	}
	allOn(t, "v1.31.13+k3s1")
	noneCordoned(t)
}

// TestCommandDriverManual: --driver manual names each node and the command for it;
// the test plays the operator, upgrading each node it names, and the run follows.
func TestCommandDriverManual(t *testing.T) {
	fresh(t, "k3s-healthy-ha", func(s *scenarios.Scenario) { s.Nodes[1].Count = 2 })
	cleanRun(t)
	run := startSkew(t, "upgrade", "--channel-server", k3sChannels(), "--driver", "manual", "--version", "v1.31.13+k3s1", "--yes")
	named := 0
	for line := range run.lines {
		node, ok := strings.CutPrefix(line, "NEXT NODE: ")
		if !ok {
			continue
		}
		node, _, _ = strings.Cut(node, " ")
		named++
		if r := runInstall(t, "nodesim-install", driverEnv(node, "", "k3s", "", "v1.31.13+k3s1")); r.code != 0 {
			t.Fatalf("upgrading %s by hand: %s", node, r)
		}
	}
	r := run.wait()
	if r.code != 0 || named != 5 || !strings.Contains(r.stdout, "curl -sfL https://get.k3s.io") {
		t.Fatalf("want 5 nodes named with their install command, exit 0 (named %d): %s", named, r)
	}
	allOn(t, "v1.31.13+k3s1")
	noneCordoned(t)
}

// TestCommandDriverNixOSRefusedBySUC: a node on NixOS refuses the SUC driver, naming
// --driver command|manual, and the command driver upgrades it.
func TestCommandDriverNixOSRefusedBySUC(t *testing.T) {
	fresh(t, "k3s-healthy-ha", func(s *scenarios.Scenario) {
		cleanRun(t)
		for i := range s.Nodes {
			s.Nodes[i].OSImage = "NixOS 25.05 (Warbler)"
		}
	})
	r := upgradeCmd(t, k3sChannels(), "--version", "v1.31.13+k3s1", "--dry-run")
	if out := r.stdout + r.stderr; r.code != 1 || !strings.Contains(out, "nixos") || !strings.Contains(out, "--driver command") || !strings.Contains(out, "--driver manual") {
		t.Errorf("the SUC driver must refuse NixOS nodes, naming the other drivers: %s", r)
	}
	if p := skew(t, "plan", "--channel-server", k3sChannels(), "--version", k3sTwoHops); !strings.Contains(p.stdout, "k3s_1_31") || !strings.Contains(p.stdout, "k3s_1_32") {
		t.Errorf("plan must name the nixpkgs attribute of each hop: %s", p)
	}
	ok := upgradeCmd(t, k3sChannels(), "--driver", "command", "--command", "nodesim-install", "--version", "v1.31.13+k3s1", "--dry-run=client")
	if ok.code != 0 || !strings.Contains(ok.stdout, "Dry run") {
		t.Errorf("the command driver must accept NixOS nodes: %s", ok)
	}
}

// TestCommandDriverAbortAndLease: while a run's command works on a node, a second run
// is refused by the Lease, and kubectl skew abort from another process stops the run
// before its next node: the node at work finishes, nothing starts after it.
func TestCommandDriverAbortAndLease(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	cleanRun(t)
	since := time.Now()
	run := startSkew(t, "upgrade", "--channel-server", k3sChannels(), "--driver", "command", "--command", "nodesim-install --sleep 3s", "--version", "v1.31.13+k3s1", "--yes")
	waitFor(t, "the run at its first node", func() (bool, string) {
		rec := runRecord(t)
		return rec != nil && rec.NodeState == runrecord.NodeCommand, "no node running its command yet"
	})
	second := upgradeCmd(t, k3sChannels(), "--driver", "command", "--command", "nodesim-install", "--version", "v1.31.13+k3s1", "--yes")
	if second.code != 1 || !strings.Contains(second.stderr, "holds the run Lease") {
		t.Errorf("a second run must be refused by the Lease: %s", second)
	}
	st := skew(t, "status")
	if st.code != 0 || !strings.Contains(st.stdout, "running command") {
		t.Errorf("status from another process must show the run node by node: %s", st)
	}
	at := runRecord(t).Node
	abort := skew(t, "abort", "--yes")
	abortedAt := time.Now()
	if abort.code != 0 || !strings.Contains(abort.stdout, "stops before its next node") {
		t.Fatalf("abort: %s", abort)
	}
	for line := range run.lines {
		_ = line
	}
	r := run.wait()
	if r.code != 1 || !strings.Contains(r.stderr, "abort") {
		t.Errorf("the run must stop on the abort: %s", r)
	}
	for _, e := range installEvents(since) {
		if e.Event == nodesim.EventInstallRequested && e.Node != at && e.Time.After(abortedAt) {
			t.Errorf("%s started after the abort", e.Node)
		}
	}
	if v := node(t, at).Status.NodeInfo.KubeletVersion; v != "v1.31.13+k3s1" {
		t.Errorf("the node at work (%s) must finish its move: %s", at, v)
	}
	noneCordoned(t)
	if rec := runRecord(t); rec == nil || rec.State != runrecord.StateAborted {
		t.Errorf("run record after the abort: %+v", rec)
	}
	held, err := runrecord.Holder(context.Background(), env.sb.Client, runrecord.DefaultNamespace, time.Now())
	if err != nil || held != nil {
		t.Errorf("the Lease must be free after the run: %v %v", held, err)
	}
}

// TestCommandDriverShellMetacharacters: what the cluster controls reaches the
// command only as values: node-args full of shell syntax come back word for word
// from SKEW_INSTALL_EXEC and run nothing.
func TestCommandDriverShellMetacharacters(t *testing.T) {
	fresh(t, "k3s-healthy-ha", func(s *scenarios.Scenario) { s.Nodes[0].Count, s.Nodes[1].Count = 1, 1 })
	cleanRun(t)
	dir := t.TempDir()
	canary := dir + "/pwned"
	args := `["agent","--node-label","x=$(touch ` + canary + `)","--node-taint","a=b;touch ` + canary + `","--token","********"]`
	setAnnotation(t, "k3s-agent-1", "k3s.io/node-args", args)
	cmd := `eval "set -- $SKEW_INSTALL_EXEC"; printf '%s\n' "$@" > "` + dir + `/$SKEW_NODE.args"; printf '%s' "$SKEW_INSTALL_EXEC_MASKED" > "` + dir + `/$SKEW_NODE.masked"; nodesim-install`
	r := upgradeCmd(t, k3sChannels(), "--driver", "command", "--command", cmd, "--version", "v1.31.13+k3s1", "--yes")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	got := runInstall(t, "cat "+dir+"/k3s-agent-1.args "+dir+"/k3s-agent-1.masked; test ! -e "+canary, nil)
	want := "agent\n--node-label\nx=$(touch " + canary + ")\n--node-taint\na=b;touch " + canary + "\n--token"
	if got.code != 0 || got.stdout != want {
		t.Errorf("SKEW_INSTALL_EXEC, word by word, then the masked flags:\n%q\nwant\n%q (exit %d: a non-zero exit means the canary was created)", got.stdout, want, got.code)
	}
}

// cleanRun removes the run record and Lease an earlier test's run left (a run that
// was killed keeps the Lease for a minute, as it must), before and after the test.
func cleanRun(t *testing.T) {
	t.Helper()
	clean := func() {
		ctx := context.Background()
		_ = runrecord.Delete(ctx, env.sb.Client, runrecord.DefaultNamespace)
		_ = env.sb.Client.CoordinationV1().Leases(runrecord.DefaultNamespace).Delete(ctx, runrecord.Name, metav1.DeleteOptions{})
	}
	clean()
	t.Cleanup(clean)
}

// installEvents are the simulator's events of reinstalls (the command driver's moves).
func installEvents(since time.Time) []nodesim.Event {
	var out []nodesim.Event
	for _, e := range eventsSince(since) {
		if e.Plan == "" {
			out = append(out, e)
		}
	}
	return out
}

// checkCommandOrder: never two servers down at once; within a hop no agent starts
// before every server is back on it; no simulator error.
func checkCommandOrder(t *testing.T, events []nodesim.Event, servers map[string]bool) {
	t.Helper()
	down := map[string]bool{}
	serversBack := map[string]int{}
	count := 0
	for s := range servers {
		_ = s
		count++
	}
	for _, e := range events {
		switch e.Event {
		case nodesim.EventNodeDown:
			if servers[e.Node] {
				for other := range down {
					t.Errorf("server %s went down while server %s was down\n%s", e.Node, other, dump(events))
				}
				down[e.Node] = true
			}
		case nodesim.EventNodeUpgraded:
			if servers[e.Node] && e.Message == "True" {
				delete(down, e.Node)
				serversBack[e.Version]++
			}
		case nodesim.EventInstallRequested:
			if !servers[e.Node] {
				v := strings.TrimPrefix(e.Message, "request ")
				v, _, _ = strings.Cut(v, "/")
				if serversBack[v] < count {
					t.Errorf("agent %s started on %s with %d of %d servers back\n%s", e.Node, v, serversBack[v], count, dump(events))
				}
			}
		case nodesim.EventError:
			t.Errorf("simulator error: %+v", e)
		}
	}
}

func serverNames(t *testing.T) map[string]bool {
	t.Helper()
	l, err := env.sb.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range l.Items {
		if _, ok := n.Labels["node-role.kubernetes.io/etcd"]; ok {
			out[n.Name] = true
		} else if _, ok := n.Labels["node-role.kubernetes.io/control-plane"]; ok {
			out[n.Name] = true
		}
	}
	return out
}

func node(t *testing.T, name string) *corev1.Node {
	t.Helper()
	n, err := env.sb.Client.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func noneCordoned(t *testing.T) {
	t.Helper()
	l, err := env.sb.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range l.Items {
		if n.Spec.Unschedulable {
			t.Errorf("node %s is left cordoned", n.Name)
		}
	}
}

// setAnnotation sets (or, with "", removes) an annotation of a node.
func setAnnotation(t *testing.T, nodeName, key, value string) {
	t.Helper()
	var v any = value
	if value == "" {
		v = nil
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{key: v}}})
	if _, err := env.sb.Client.CoreV1().Nodes().Patch(context.Background(), nodeName, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
}

func runRecord(t *testing.T) *runrecord.Record {
	t.Helper()
	rec, err := runrecord.Read(context.Background(), env.sb.Client, runrecord.DefaultNamespace)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// failedAt is when node's install was refused (the simulator logs the request).
func failedAt(t *testing.T, since time.Time, nodeName string) time.Time {
	t.Helper()
	for _, e := range eventsSince(since) {
		if e.Node == nodeName && e.Event == nodesim.EventInstallRequested {
			return e.Time
		}
	}
	return time.Now()
}

// bgRun is kubectl skew running in the background, its stdout line by line.
type bgRun struct {
	lines <-chan string
	wait  func() result
}

func startSkew(t *testing.T, args ...string) *bgRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, env.sb.Tools.Kubectl, append([]string{"skew"}, args...)...)
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig, "NO_COLOR=1", "LANG=C.UTF-8"}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	lines := make(chan string)
	var mu sync.Mutex
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(io.TeeReader(pipe, lockedWriter{&mu, &out}))
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var once sync.Once
	var r result
	return &bgRun{lines: lines, wait: func() result {
		once.Do(func() {
			defer cancel()
			for range lines {
			}
			err := cmd.Wait()
			mu.Lock()
			r = result{stdout: out.String(), stderr: errb.String(), took: time.Since(start)}
			mu.Unlock()
			if exit, ok := err.(*exec.ExitError); ok {
				r.code = exit.ExitCode()
			}
		})
		return r
	}}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
