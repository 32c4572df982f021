package e2e

import (
	"context"
	"maps"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// TestUpgradeExportsTheWholeHop: the dry-run export holds both Plans of the hop, the
// agent Plan's prepare step names the server Plan, and both say which hop they are.
func TestUpgradeExportsTheWholeHop(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	for _, mode := range []string{"--dry-run=client", "--dry-run=server"} {
		r := upgradeCmd(t, k3sChannels(), "--version", k3sTarget, mode, "-o", "yaml")
		if r.code != 0 {
			t.Fatalf("%s: %s", mode, r)
		}
		var list struct {
			Items []struct {
				Metadata struct {
					Name        string
					Annotations map[string]string
				}
				Spec struct {
					NodeSelector struct {
						MatchExpressions []struct {
							Key    string
							Values []string
						}
					}
					Prepare *struct{ Args []string }
				}
			}
		}
		if err := yaml.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Items) != 2 {
			t.Fatalf("%s: want the hop's two Plans: %v\n%s", mode, err, r.stdout)
		}
		server, agent := list.Items[0], list.Items[1]
		if agent.Spec.Prepare == nil || strings.Join(agent.Spec.Prepare.Args, " ") != "prepare "+server.Metadata.Name {
			t.Errorf("%s: the agent Plan's prepare does not name %s: %+v", mode, server.Metadata.Name, agent.Spec.Prepare)
		}
		if got := server.Spec.NodeSelector.MatchExpressions[0].Values; len(got) != 3 {
			t.Errorf("%s: the exported server Plan selects %v, want the hop's three servers", mode, got)
		}
		for _, it := range list.Items {
			if it.Metadata.Annotations["kubectl-skew.io/hop"] != "hop 1 of 3" {
				t.Errorf("%s: %s lacks its hop annotation", mode, it.Metadata.Name)
			}
		}
		if !strings.Contains(r.stderr, "Export the next hop once this one is complete") {
			t.Errorf("%s: stderr does not say when the next hop comes:\n%s", mode, r.stderr)
		}
	}
	if len(planVersions(t)) != 0 {
		t.Errorf("the export applied Plans")
	}
}

// TestUpgradeMaintenanceWindow: the window flags land on every Plan as spec.window;
// a bad value is one line naming it; a closed window is what status reports.
func TestUpgradeMaintenanceWindow(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	bad := upgradeCmd(t, k3sChannels(), "--version", "v1.31.13+k3s1", "--yes", "--window-days", "mon", "--window-start", "25:00", "--window-end", "04:00")
	if bad.code != 1 || !strings.Contains(bad.stderr, "--window-start \"25:00\"") || strings.Count(strings.TrimSpace(bad.stderr), "\n") != 0 {
		t.Errorf("a bad window: want exit 1 and one line naming --window-start:\n%s", bad)
	}
	// A window of one minute, tomorrow: closed now.
	day := strings.ToLower(time.Now().UTC().Add(24 * time.Hour).Weekday().String()[:3])
	r := upgradeCmd(t, k3sChannels(), "--version", "v1.31.13+k3s1", "--yes", "--window-days", day, "--window-start", "03:00", "--window-end", "03:01", "--window-timezone", "UTC")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	l, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(l.Items) == 0 {
		t.Fatalf("no Plan: %v", err)
	}
	for _, p := range l.Items {
		w, _, _ := unstructuredMap(p.Object, "spec", "window")
		if w["startTime"] != "03:00" || w["endTime"] != "03:01" || w["timeZone"] != "UTC" || !strings.Contains(strings.Join(stringsOf(w["days"]), ","), day) {
			t.Errorf("%s: spec.window = %v", p.GetName(), w)
		}
	}
	st := skew(t, "status")
	if !strings.Contains(st.stdout, "MAINTENANCE WINDOW: opens") {
		t.Errorf("status does not say when the window opens:\n%s", st)
	}
}

// TestUpgradeNodeScope: a node labelled kubectl-skew.io/exclude=true and an agent
// outside --node-selector stay where they are, named with SKEW702.
func TestUpgradeNodeScope(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	patch(t, "k3s-agent-5", `{"metadata":{"labels":{"kubectl-skew.io/exclude":"true"}}}`)
	r := upgradeCmd(t, k3sChannels(), "--version", "v1.31.13+k3s1", "--yes", "--wait", "--timeout", "3m",
		"--node-selector", "kubernetes.io/hostname!=k3s-agent-4")
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	if !strings.Contains(r.stdout, "SKEW702") || !strings.Contains(r.stdout, "k3s-agent-4") || !strings.Contains(r.stdout, "k3s-agent-5") {
		t.Errorf("output does not name the nodes left out:\n%s", r)
	}
	for name, v := range nodeKubelets(t) {
		left := name == "k3s-agent-4" || name == "k3s-agent-5"
		if left != (v == "v1.30.14+k3s1") {
			t.Errorf("%s runs %s", name, v)
		}
	}
}

// TestUpgradeCanary: --canary 2 upgrades two agents of the hop, verifies them and
// stops with the command that goes on; status shows the canary; that command finishes.
func TestUpgradeCanary(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	r := upgradeCmd(t, k3sChannels(), "--version", "v1.31.13+k3s1", "--yes", "--wait", "--timeout", "3m", "--canary", "2")
	if r.code != 0 || !strings.Contains(r.stdout, "CANARY: 2 agents of") {
		t.Fatalf("%s", r)
	}
	moved := 0
	for name, v := range nodeKubelets(t) {
		if strings.HasPrefix(name, "k3s-agent-") && v == "v1.31.13+k3s1" {
			moved++
		}
	}
	if moved != 2 {
		t.Errorf("%d agents upgraded, want the 2 of the canary", moved)
	}
	if st := skew(t, "status"); !strings.Contains(st.stdout, "CANARY:") || !strings.Contains(st.stdout, "the other agents go with") {
		t.Errorf("status does not show the canary:\n%s", st)
	}
	next := regexp.MustCompile(`the other agents go with: kubectl skew upgrade (.*) --wait`).FindStringSubmatch(r.stdout)
	if next == nil {
		t.Fatalf("no command to go on:\n%s", r.stdout)
	}
	again := upgradeCmd(t, k3sChannels(), "--version", "v1.31.13+k3s1", "--yes", "--wait", "--timeout", "3m", "--canary", "2")
	if again.code != 0 {
		t.Fatalf("going on: %s", again)
	}
	allOn(t, "v1.31.13+k3s1")
}

// TestAbort: abort in the middle of an upgrade: no Plan of ours remains, no node we
// cordoned stays cordoned, and no node starts upgrading afterwards.
func TestAbort(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	if r := skew(t, "abort", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "Nothing to abort") {
		t.Errorf("abort without an upgrade: %s", r)
	}
	env.sb.Nodesim.SetDelay(1500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, env.sb.Tools.Kubectl, "skew", "upgrade", "--channel-server", k3sChannels(), "--version", "v1.31.13+k3s1", "--yes", "--wait")
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig, "NO_COLOR=1"}
	var stdout syncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	started := regexp.MustCompile(`(?m)^\s+server\s+k3s-server-2\s.*started`)
	for !started.MatchString(stdout.String()) {
		if ctx.Err() != nil {
			t.Fatalf("no second server started:\n%s", stdout.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The dry run reports; that it writes nothing shows in the Plans still being there.
	if r := skew(t, "abort", "--dry-run"); r.code != 0 || !strings.Contains(r.stdout, "would delete") || len(planVersions(t)) == 0 {
		t.Errorf("abort --dry-run: %s", r)
	}
	if r := skew(t, "abort"); r.code != 1 || !strings.Contains(r.stderr, "pass --yes") {
		t.Errorf("abort without a terminal or --yes: %s", r)
	}
	r := skew(t, "abort", "--yes")
	done := time.Now()
	if r.code != 0 || !strings.Contains(r.stdout, "Aborted: nothing of ours is in progress") || !strings.Contains(r.stdout, "k3s-server-2") {
		t.Fatalf("abort: %s", r)
	}
	if p := planVersions(t); len(p) != 0 {
		t.Errorf("Plans remain after abort: %v", p)
	}
	// The run that was following the upgrade sees its Plan go, and stops.
	_ = cmd.Wait()
	if !strings.Contains(stdout.String(), "aborted") {
		t.Errorf("the running upgrade --wait did not stop on the abort:\n%s", stdout.String())
	}
	time.Sleep(4 * time.Second)
	noNodeCordonedAfterAbort(t)
	for _, e := range env.sb.Nodesim.Events() {
		if e.Event == nodesim.EventJobStarted && e.Time.After(done) {
			t.Errorf("%s started upgrading after abort: %+v", e.Node, e)
		}
	}
}

// TestAbortThatTimedOutHoldsTheUpgrade: an abort that gives up waiting leaves our
// Plans narrowed and marked; until abort is run again no upgrade may widen them, and
// the second abort finishes the job.
func TestAbortThatTimedOutHoldsTheUpgrade(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	env.sb.Nodesim.SetDelay(3 * time.Second)
	upgrade := []string{"--version", "v1.31.13+k3s1", "--yes"}
	began := time.Now()
	if r := upgradeCmd(t, k3sChannels(), upgrade...); r.code != 0 {
		t.Fatalf("upgrade: %s", r)
	}
	deadline := time.Now().Add(time.Minute)
	for !slices.ContainsFunc(env.sb.Nodesim.Events(), func(e nodesim.Event) bool { return e.Event == nodesim.EventJobStarted && e.Time.After(began) }) {
		if time.Now().After(deadline) {
			t.Fatal("no node started upgrading")
		}
		time.Sleep(50 * time.Millisecond)
	}
	r := skew(t, "abort", "--yes", "--timeout", "1s")
	if r.code == 0 || !strings.Contains(r.stderr, "timed out") {
		t.Fatalf("abort --timeout 1s while a node upgrades for longer: %s", r)
	}
	before := planVersions(t)
	if len(before) == 0 {
		t.Fatal("the Plans went although abort timed out")
	}
	if r := skew(t, "status"); !strings.Contains(r.stdout, "aborting") || !strings.Contains(r.stdout, "kubectl skew abort --yes") {
		t.Errorf("status during an unfinished abort: %s", r)
	}
	r = upgradeCmd(t, k3sChannels(), upgrade...)
	if r.code == 0 || !strings.Contains(r.stderr, "abort is in progress") || !strings.Contains(r.stderr, "run kubectl skew abort again") {
		t.Errorf("upgrade during an unfinished abort: %s", r)
	}
	if after := planVersions(t); !maps.Equal(before, after) {
		t.Errorf("upgrade changed Plans an abort holds: %v, then %v", before, after)
	}
	if r := skew(t, "abort", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "Aborted") {
		t.Fatalf("abort again: %s", r)
	}
	if p := planVersions(t); len(p) != 0 {
		t.Errorf("Plans remain after the second abort: %v", p)
	}
	noNodeCordonedAfterAbort(t)
}

// noNodeCordonedAfterAbort fails for each node still cordoned.
func noNodeCordonedAfterAbort(t *testing.T) {
	t.Helper()
	nodes, err := env.sb.Client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		if n.Spec.Unschedulable {
			t.Errorf("%s stays cordoned after abort", n.Name)
		}
	}
}

func unstructuredMap(obj map[string]any, path ...string) (map[string]any, bool, error) {
	cur := obj
	for _, p := range path {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = next
	}
	return cur, true, nil
}

func stringsOf(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
