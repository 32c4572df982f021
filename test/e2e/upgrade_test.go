package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// upgradeDelay is how long a simulated node takes: small, so that a three-hop
// upgrade of eight nodes stays in the seconds while SUC still paces the Jobs.
const upgradeDelay = 150 * time.Millisecond

// k3sStable is the fixture's stable channel: six hops from the v1.30 scenarios.
// k3sTarget and rke2Target are three hops from v1.30 (two from RKE2's v1.31): the
// tests that are about something other than the whole path go there.
const (
	k3sStable  = "v1.36.4+k3s1"
	k3sTarget  = "v1.33.12+k3s1"
	rke2Target = "v1.33.12+rke2r1"
)

// fresh seeds scenario even when it is already there (an upgrade test changes the
// cluster), holds the cluster for the test, and leaves the pristine scenario behind
// for the tests that come after.
func fresh(t *testing.T, scenario string, edit func(*scenarios.Scenario)) {
	t.Helper()
	env.mu.Lock()
	s, err := scenarios.Load(scenario)
	if err != nil {
		env.mu.Unlock()
		t.Fatal(err)
	}
	if edit != nil {
		edit(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.sb.SeedScenario(ctx, s); err != nil {
		env.mu.Unlock()
		t.Fatalf("seed %s: %v", scenario, err)
	}
	env.sb.Nodesim.SetDelay(upgradeDelay)
	t.Cleanup(func() {
		defer env.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := env.sb.Seed(ctx, scenario); err != nil {
			t.Errorf("reseed %s: %v", scenario, err)
		}
	})
}

// upgradeCmd runs `kubectl skew upgrade` against the K3s channel server.
func upgradeCmd(t *testing.T, channels string, args ...string) result {
	t.Helper()
	return skew(t, append([]string{"upgrade", "--channel-server", channels}, args...)...)
}

// nodeKubelets maps node name to kubelet version.
func nodeKubelets(t *testing.T) map[string]string {
	t.Helper()
	l, err := env.sb.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, n := range l.Items {
		out[n.Name] = n.Status.NodeInfo.KubeletVersion
	}
	return out
}

func allOn(t *testing.T, want string) {
	t.Helper()
	for name, v := range nodeKubelets(t) {
		if v != want {
			t.Errorf("node %s runs %s, want %s", name, v, want)
		}
	}
}

// planVersions is every Plan in SUC's namespace with its resourceVersion.
func planVersions(t *testing.T) map[string]string {
	t.Helper()
	l, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, p := range l.Items {
		out[p.GetName()] = p.GetResourceVersion()
	}
	return out
}

// clusterVersions fingerprints what a command that must write nothing could write:
// nodes, Plans and Jobs, by resourceVersion. The real controllers write too (the node
// lifecycle controller taints a just-created node and lifts the taint once it is
// Ready), so it waits for a second with no change before answering: a command that
// writes nothing leaves it as it was.
func clusterVersions(t *testing.T) string {
	t.Helper()
	last := versionsNow(t)
	for i := 0; i < 30; i++ {
		time.Sleep(time.Second)
		now := versionsNow(t)
		if now == last {
			return now
		}
		last = now
	}
	t.Fatalf("the cluster did not settle in 30s: %s", last)
	return ""
}

func versionsNow(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var parts []string
	nodes, err := env.sb.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		parts = append(parts, "node/"+n.Name+"="+n.ResourceVersion)
	}
	for name, rv := range planVersions(t) {
		parts = append(parts, "plan/"+name+"="+rv)
	}
	jobs, err := env.sb.Client.BatchV1().Jobs(sandbox.SUCNamespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs.Items {
		parts = append(parts, "job/"+j.Name+"="+j.ResourceVersion)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// upgradeEvents are the simulator's events for our upgrade Plans (the snapshot's aside).
func upgradeEvents(since time.Time) []nodesim.Event {
	var out []nodesim.Event
	for _, e := range eventsSince(since) {
		if strings.HasPrefix(e.Plan, "kubectl-skew-server-") || strings.HasPrefix(e.Plan, "kubectl-skew-agent-") {
			out = append(out, e)
		}
	}
	return out
}

// checkOrder asserts what the simulator's log must show for any upgrade we ran:
// within each hop every server finished before any agent started, never more Jobs
// at once than the concurrency (1), never two servers down at once (from the restart
// after its Job until its kubelet is back and Ready), no minor skipped on any node, no
// simulator error.
func checkOrder(t *testing.T, events []nodesim.Event) {
	t.Helper()
	lastServer := map[string]time.Time{}
	firstAgent := map[string]time.Time{}
	// The concurrency bounds nodes, not Jobs: after a retry the controller may briefly
	// hold two Jobs for one node (and deletes one), which is still one node at a time.
	jobs := map[string]int{}
	maxRunning := 0
	down := map[string]bool{}
	// A Job of a Plan that succeeded on a node is never run again there by the same
	// Plan: the controller does so only when it replaces a Job whose Plan changed what
	// shapes it (docs/upgrade.md, what a Plan keeps). A Plan deleted and created anew
	// (abort, then a new run) is another Plan: it may find a node whose Job succeeded
	// still restarting, on its old version, and run it again (a no-op on the node).
	succeeded := map[[2]string]time.Time{}
	for _, e := range events {
		server := strings.HasPrefix(e.Plan, "kubectl-skew-server-")
		switch key := [2]string{e.Node, e.PlanUID}; e.Event {
		case nodesim.EventJobComplete:
			if e.PlanUID != "" {
				succeeded[key] = e.Time
			}
		case nodesim.EventJobStarted:
			if at, ok := succeeded[key]; ok {
				t.Errorf("%s: a Job of %s started at %s, after one succeeded there at %s\n%s", e.Node, e.Plan, e.Time.Format("15:04:05.000"), at.Format("15:04:05.000"), dump(events))
			}
		}
		switch e.Event {
		case nodesim.EventNodeDown:
			if server {
				for other := range down {
					t.Errorf("server %s went down at %s while server %s was still down\n%s", e.Node, e.Time.Format("15:04:05.000"), other, dump(events))
				}
				down[e.Node] = true
			}
		case nodesim.EventNodeUpgraded:
			if e.Message == "True" {
				delete(down, e.Node)
			}
		}
		switch e.Event {
		case nodesim.EventJobStarted:
			jobs[e.Node]++
			maxRunning = max(maxRunning, len(jobs))
			if strings.HasPrefix(e.Plan, "kubectl-skew-agent-") {
				if _, ok := firstAgent[e.Version]; !ok {
					firstAgent[e.Version] = e.Time
				}
			}
		case nodesim.EventJobComplete, nodesim.EventJobFailed, nodesim.EventJobGone:
			if jobs[e.Node]--; jobs[e.Node] <= 0 {
				delete(jobs, e.Node)
			}
			if strings.HasPrefix(e.Plan, "kubectl-skew-server-") && e.Event == nodesim.EventJobComplete {
				lastServer[e.Version] = e.Time
			}
		case nodesim.EventNodeUpgraded:
			// Servers never skip a minor; agents may, when the planner lets them catch
			// up within the skew window (--agents final, or an agent already behind).
			if from, to := minor(e.From), minor(e.Version); to-from > 1 && strings.HasPrefix(e.Plan, "kubectl-skew-server-") {
				t.Errorf("server %s skipped a minor: %s -> %s", e.Node, e.From, e.Version)
			}
		case nodesim.EventError:
			t.Errorf("simulator error: %+v", e)
		}
	}
	if maxRunning > 1 {
		t.Errorf("%d nodes upgraded at once; the concurrency is 1\n%s", maxRunning, dump(events))
	}
	for v, agent := range firstAgent {
		if server, ok := lastServer[v]; ok && agent.Before(server) {
			t.Errorf("hop %s: an agent started at %s, before the last server finished at %s\n%s",
				v, agent.Format("15:04:05.000"), server.Format("15:04:05.000"), dump(events))
		}
	}
}

// settle waits until the node simulator has logged nothing for two seconds (at most 15).
func settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for n := len(env.sb.Nodesim.Events()); time.Now().Before(deadline); {
		time.Sleep(2 * time.Second)
		m := len(env.sb.Nodesim.Events())
		if m == n {
			return
		}
		n = m
	}
}

func minor(v string) int {
	var major, m int
	_, _ = fmt.Sscanf(strings.TrimPrefix(v, "v"), "%d.%d", &major, &m)
	return m
}

// upgradesPerNode counts each node's completed upgrade Jobs.
func upgradesPerNode(events []nodesim.Event) map[string]int {
	out := map[string]int{}
	for _, e := range events {
		if e.Event == nodesim.EventNodeUpgraded {
			out[e.Node]++
		}
	}
	return out
}

// TestUpgradeK3sHAToStable: K3s HA (3 servers, 5 agents) from v1.30 to stable v1.36 in
// six hops with --wait, through the real system-upgrade-controller; a second run
// changes nothing.
func TestUpgradeK3sHAToStable(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	since := time.Now()
	r := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--yes", "--wait", "--timeout", "3m")
	t.Logf("upgrade --wait took %v", r.took.Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	for _, want := range []string{
		"hop 1 of 6 -> v1.31.13+k3s1: upgrading server k3s-server-1 (cordon), the next one only once it is back",
		"every server runs v1.31.13+k3s1: releasing the agents",
		"hop 6 of 6 -> v1.36.4+k3s1: upgrading 5 agents, one at a time (prepare+drain)",
		"k3s-agent-1  v1.35.10+k3s1 -> v1.36.4+k3s1  done in",
		"Upgrade complete: every node runs v1.36.4+k3s1 (48 node upgrades",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q\n%s", want, r)
		}
	}
	events := upgradeEvents(since)
	checkOrder(t, events)
	for node, n := range upgradesPerNode(events) {
		if n != 6 {
			t.Errorf("%s was upgraded %d times, want 6 (one per hop)", node, n)
		}
	}
	allOn(t, k3sStable)
	if c := skew(t, "check"); c.code != 0 {
		t.Errorf("check after the upgrade: %s", c)
	}

	// Done is done: a second run writes nothing and starts nothing. The simulated
	// nodes' pods move a moment after the run ends: wait for the simulator to settle.
	settle(t)
	before, count := clusterVersions(t), len(eventsSince(since))
	again := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--yes", "--wait")
	if again.code != 0 || !strings.Contains(again.stdout, "Nothing to do: every node runs "+k3sStable) {
		t.Fatalf("second upgrade: %s", again)
	}
	if after := clusterVersions(t); after != before {
		t.Errorf("the second upgrade changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
	if n := len(eventsSince(since)); n != count {
		t.Errorf("the second upgrade started Jobs: %d new events", n-count)
	}
	st := skew(t, "status")
	if st.code != 0 || !strings.Contains(st.stdout, "complete, hop 6 of 6") {
		t.Errorf("status after the upgrade: %s", st)
	}
}

// TestUpgradeRKE2WithEtcdOnlyServer: the etcd-only server (no control-plane label) is
// upgraded with the servers, before any agent; the agent one minor behind catches up.
func TestUpgradeRKE2WithEtcdOnlyServer(t *testing.T) {
	// The scenario names nodes by FQDN with a short hostname label; SUC v0.20.1 cannot
	// upgrade such nodes (see TestUpgradeRefusesRenamedNodes), so here names and
	// hostnames agree.
	fresh(t, "rke2-etcd", func(s *scenarios.Scenario) {
		for i := range s.Nodes {
			s.Nodes[i].Hostname = ""
		}
	})
	since := time.Now()
	r := upgradeCmd(t, rke2Channels(), "--version", rke2Target, "--yes", "--wait", "--timeout", "3m")
	t.Logf("upgrade --wait took %v", r.took.Round(time.Millisecond))
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	events := upgradeEvents(since)
	checkOrder(t, events)
	etcdDone := map[string]bool{}
	for _, e := range events {
		if e.Event == nodesim.EventJobComplete && e.Node == "rke2-etcd-1.lab.example" {
			if !strings.HasPrefix(e.Plan, "kubectl-skew-server-") {
				t.Errorf("the etcd-only server ran Plan %s, not a server Plan", e.Plan)
			}
			etcdDone[e.Version] = true
		}
	}
	if len(etcdDone) != 2 {
		t.Errorf("the etcd-only server completed hops %v, want both hops", etcdDone)
	}
	allOn(t, rke2Target)
	if c := skew(t, "check"); c.code != 0 {
		t.Errorf("check after the upgrade: %s", c)
	}
}

// TestUpgradeRefusesRenamedNodes: nodes whose name differs from their hostname label
// would hang SUC; preflight says so and writes nothing.
func TestUpgradeRefusesRenamedNodes(t *testing.T) {
	fresh(t, "rke2-etcd", nil)
	r := upgradeCmd(t, rke2Channels(), "--yes")
	if r.code != 1 || !strings.Contains(r.stdout, "deletes their upgrade Jobs as soon as it creates them") {
		t.Fatalf("%s", r)
	}
	if p := planVersions(t); len(p) != 0 {
		t.Errorf("a refused upgrade created Plans: %v", p)
	}
}

// TestUpgradeAgentsFinalWithSnapshot: with --agents final the servers take every hop
// and the agents one, at the end; --snapshot first takes an etcd snapshot through a
// Job on the first server, before any server upgrades.
func TestUpgradeAgentsFinalWithSnapshot(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	since := time.Now()
	r := upgradeCmd(t, k3sChannels(), "--version", k3sTarget, "--agents", "final", "--snapshot", "--yes", "--wait", "--timeout", "3m")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	const snap = "kubectl-skew-pre-upgrade-v1.30.14-k3s1"
	for _, want := range []string{`etcd snapshot "` + snap + `" taken on k3s-server-1`, "Pre-upgrade etcd snapshot: " + snap} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q\n%s", want, r)
		}
	}
	var snapDone, firstServer time.Time
	for _, e := range eventsSince(since) {
		switch {
		case e.Event == nodesim.EventJobComplete && strings.HasPrefix(e.Plan, "kubectl-skew-snapshot-"):
			if e.Node != "k3s-server-1" {
				t.Errorf("snapshot taken on %s", e.Node)
			}
			snapDone = e.Time
		case e.Event == nodesim.EventJobStarted && strings.HasPrefix(e.Plan, "kubectl-skew-server-") && firstServer.IsZero():
			firstServer = e.Time
		}
	}
	if snapDone.IsZero() || !snapDone.Before(firstServer) {
		t.Errorf("snapshot done at %v, first server upgrade at %v", snapDone, firstServer)
	}
	if st := skew(t, "status", "-o", "json"); !strings.Contains(st.stdout, snap) {
		t.Errorf("status does not name the snapshot: %s", st)
	}
	events := upgradeEvents(since)
	checkOrder(t, events)
	for node, n := range upgradesPerNode(events) {
		want := 1
		if strings.Contains(node, "server") {
			want = 3
		}
		if n != want {
			t.Errorf("%s was upgraded %d times, want %d", node, n, want)
		}
	}
	allOn(t, k3sTarget)
}

// TestUpgradeJobFailsThenResumes: an agent's Job fails mid-hop: the run stops and
// names node, Job and message; status shows it with the rollback; after the fix a
// plain re-run refuses, and --retry-failed finishes the upgrade.
func TestUpgradeJobFailsThenResumes(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	env.sb.Nodesim.Fail("k3s-agent-2", "disk full")
	since := time.Now()
	r := upgradeCmd(t, k3sChannels(), "--version", k3sTarget, "--yes", "--wait", "--timeout", "60s")
	if r.code != 1 {
		t.Fatalf("want exit 1 on a failed Job: %s", r)
	}
	for _, want := range []string{"failed on node k3s-agent-2", "disk full", "apply-kubectl-skew-agent-v1.31.13-k3s1-on-k3s-agent-2", "--retry-failed --wait"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}
	if strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("the error is not one line:\n%s", r.stderr)
	}
	for _, e := range eventsSince(since) {
		if strings.Contains(e.Plan, "v1.32") {
			t.Fatalf("the next hop started after the failure: %+v", e)
		}
	}

	st := skew(t, "status")
	if st.code != 3 {
		t.Errorf("status of a failed upgrade: want exit 3: %s", st)
	}
	for _, want := range []string{"failed, hop 1 of 3 (v1.31.13+k3s1) agents", "k3s-agent-2", "disk full", "ROLLBACK", "with v1.30.14+k3s1"} {
		if !strings.Contains(st.stdout, want) {
			t.Errorf("status lacks %q\n%s", want, st)
		}
	}

	env.sb.Nodesim.Clear("k3s-agent-2")
	refused := upgradeCmd(t, k3sChannels(), "--version", k3sTarget, "--yes", "--wait")
	if refused.code != 1 || !strings.Contains(refused.stdout, "failed-jobs") || !strings.Contains(refused.stdout, "--retry-failed") {
		t.Fatalf("a re-run without --retry-failed must refuse: %s", refused)
	}
	resumed := upgradeCmd(t, k3sChannels(), "--version", k3sTarget, "--yes", "--wait", "--retry-failed", "--timeout", "3m")
	if resumed.code != 0 {
		t.Fatalf("resume: %s", resumed)
	}
	if !strings.Contains(resumed.stdout, "deleted failed Job apply-kubectl-skew-agent-v1.31.13-k3s1-on-k3s-agent-2") {
		t.Errorf("resume did not say it retried the Job:\n%s", resumed)
	}
	checkOrder(t, upgradeEvents(since))
	allOn(t, k3sTarget)
}

// TestUpgradeRefusesRancher: a Rancher-provisioned cluster is refused, nothing written.
func TestUpgradeRefusesRancher(t *testing.T) {
	fresh(t, "rancher-k3s", nil)
	r := upgradeCmd(t, k3sChannels(), "--yes")
	if r.code != 1 || !strings.Contains(r.stdout, "Rancher manages this cluster") || !strings.Contains(r.stdout, "upgrade through Rancher") {
		t.Fatalf("%s", r)
	}
	if p := planVersions(t); len(p) != 0 {
		t.Errorf("a refused upgrade created Plans: %v", p)
	}
}

// TestUpgradeRefusesWithoutSUC: no controller, no upgrade; the refusal says how to install it.
func TestUpgradeRefusesWithoutSUC(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	ctx := context.Background()
	if err := env.sb.Client.AppsV1().Deployments(sandbox.SUCNamespace).Delete(ctx, sandbox.SUCDeployment, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sandbox.InstallSUCObjects(context.Background(), env.sb); err != nil {
			t.Errorf("reinstall SUC: %v", err)
		}
	})
	r := upgradeCmd(t, k3sChannels(), "--yes")
	if r.code != 1 || !strings.Contains(r.stdout, "suc-controller") || !strings.Contains(r.stdout, "kubectl apply -f https://github.com/rancher/system-upgrade-controller/releases/download/v0.20.1/") {
		t.Fatalf("%s", r)
	}
	if p := planVersions(t); len(p) != 0 {
		t.Errorf("a refused upgrade created Plans: %v", p)
	}
}

// TestUpgradeDryRunAndYAMLWriteNothing: --dry-run=client, --dry-run=server and -o yaml
// print the Plans of the first hop (servers, then agents) and leave every
// resourceVersion as it was.
func TestUpgradeDryRunAndYAMLWriteNothing(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	before := clusterVersions(t)
	for _, args := range [][]string{{"--dry-run=client"}, {"--dry-run=server"}, {"-o", "yaml"}, {"--dry-run", "-o", "json"}} {
		r := upgradeCmd(t, k3sChannels(), args...)
		if r.code != 0 {
			t.Fatalf("%v: %s", args, r)
		}
		var list struct {
			Kind  string
			Items []struct {
				Kind     string
				Metadata struct{ Name, Namespace string }
				Spec     struct {
					Version     string
					Concurrency int
				}
			}
		}
		if err := yaml.Unmarshal([]byte(r.stdout), &list); err != nil {
			t.Fatalf("%v: stdout is not a List: %v\n%s", args, err, r)
		}
		if list.Kind != "List" || len(list.Items) != 2 || list.Items[0].Metadata.Name != "kubectl-skew-server-v1.31.13-k3s1" ||
			list.Items[1].Metadata.Name != "kubectl-skew-agent-v1.31.13-k3s1" ||
			list.Items[0].Spec.Version != "v1.31.13+k3s1" || list.Items[0].Spec.Concurrency != 1 {
			t.Errorf("%v: unexpected Plans:\n%s", args, r.stdout)
		}
		if !strings.Contains(r.stderr, "PREFLIGHT") || !strings.Contains(r.stderr, "nothing was applied") {
			t.Errorf("%v: stderr lacks the checks or the note:\n%s", args, r.stderr)
		}
	}
	if after := clusterVersions(t); after != before {
		t.Errorf("dry runs changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
}

// TestUpgradeWithoutTerminalNeedsYes: no terminal, no --yes: refuse at once, never hang.
func TestUpgradeWithoutTerminalNeedsYes(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	r := upgradeCmd(t, k3sChannels())
	if r.code != 1 || !strings.Contains(r.stderr, "stdin is not a terminal; pass --yes") {
		t.Fatalf("%s", r)
	}
	if p := planVersions(t); len(p) != 0 {
		t.Errorf("an unconfirmed upgrade created Plans: %v", p)
	}
}

// TestUpgradeInterruptThenResume: SIGINT during --wait stops waiting, leaves the Plans
// and says how to resume; the resumed run finishes the upgrade.
func TestUpgradeInterruptThenResume(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	env.sb.Nodesim.SetDelay(time.Second)
	since := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.sb.Tools.Kubectl, "skew", "upgrade", "--channel-server", k3sChannels(), "--version", k3sTarget, "--yes", "--wait")
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig, "NO_COLOR=1"}
	var stdout syncBuffer
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	// A node's own line, not a preflight message that happens to say "started".
	nodeStarted := regexp.MustCompile(`(?m)^\s+server\s+\S+\s+\S+ -> \S+.*started`)
	for !nodeStarted.MatchString(stdout.String()) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("no node started within a minute:\n%s\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// kubectl execs the plugin in its own place: the signal reaches kubectl-skew.
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("want exit 1 after SIGINT, got %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	for _, want := range []string{"interrupted while following", "the Plans stay", "kubectl skew upgrade --version " + k3sTarget, "--wait"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if len(planVersions(t)) == 0 {
		t.Fatalf("the Plans did not stay")
	}
	env.sb.Nodesim.SetDelay(upgradeDelay)
	r := upgradeCmd(t, k3sChannels(), "--version", k3sTarget, "--yes", "--wait", "--timeout", "3m")
	if r.code != 0 {
		t.Fatalf("resume: %s", r)
	}
	if !strings.Contains(r.stdout, "resumed") {
		t.Errorf("the resumed run did not say it resumed:\n%s", r.stdout)
	}
	checkOrder(t, upgradeEvents(since))
	allOn(t, k3sTarget)
}

// syncBuffer is a bytes.Buffer a test may read while a process writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestUpgradeNamesMissingPermissions: a user who may only read nodes is refused by
// the permissions check before anything is read or written, in one line that names
// what is missing and the manifest that grants it; nothing is written.
func TestUpgradeNamesMissingPermissions(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	r := upgradeCmd(t, k3sChannels(), "--context", sandbox.ContextNodeReader, "--yes")
	oneLineError(t, r, 20*time.Second)
	for _, want := range []string{"get plans.upgrade.cattle.io in system-upgrade", "create plans.upgrade.cattle.io", "list jobs.batch", "deploy/rbac/upgrade.yaml"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q\n%s", want, r)
		}
	}
	if p := planVersions(t); len(p) != 0 {
		t.Errorf("a refused upgrade created Plans: %v", p)
	}
}
