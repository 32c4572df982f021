package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/test/channelserver"
	"github.com/kubectl-skew/kubectl-skew/test/ranchersim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// importedSettings are Rancher v2.12's settings: the managed system-upgrade-controller
// is required (v2.10+), and version management is on by default.
var importedSettings = map[string]string{"ui-k8s-supported-versions-range": ">= 1.29.0-0 <= 1.33.x-0", "server-version": "v2.12.1",
	"k3s-default-version": "v1.32.9+k3s1", "rke2-default-version": "v1.32.9+rke2r1", rancher.SettingVersionManagement: "true"}

// importedFixture seeds an imported cluster: two control-plane+etcd servers and three
// workers (RKE2 adds an etcd-only node, which Rancher's worker plan takes), with
// strategy 1 server and 2 workers at a time.
func importedFixture(t *testing.T, name, driver, version string, edit func(*ranchersim.ImportedFixture)) {
	t.Helper()
	env.mu.Lock()
	t.Cleanup(env.mu.Unlock)
	seedImported(t, name, driver, version, edit)
}

// seedImported seeds the fixture; the caller holds the sandbox.
func seedImported(t *testing.T, name, driver, version string, edit func(*ranchersim.ImportedFixture)) {
	t.Helper()
	f := ranchersim.ImportedFixture{Name: name, DisplayName: "edge-" + driver, Driver: driver, Version: version,
		Nodes: []ranchersim.MachineSpec{
			{Name: driver + "-server-1", Roles: []string{"control-plane", "etcd"}},
			{Name: driver + "-server-2", Roles: []string{"control-plane", "etcd"}},
			{Name: driver + "-agent-1", Roles: []string{"worker"}},
			{Name: driver + "-agent-2", Roles: []string{"worker"}},
			{Name: driver + "-agent-3", Roles: []string{"worker"}},
		},
		Strategy: &rancher.Strategy{ServerConcurrency: 1, WorkerConcurrency: 2}, Settings: importedSettings,
	}
	if driver == rancher.DriverRKE2 {
		f.Nodes = append(f.Nodes, ranchersim.MachineSpec{Name: driver + "-etcd-1", Roles: []string{"etcd"}})
	}
	if edit != nil {
		edit(&f)
	}
	if err := ranchersim.SeedImported(context.Background(), env.sb.Client, env.sb.Dynamic, f); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ranchersim.RemoveImported(context.Background(), env.sb.Dynamic, name) })
	// Let the simulator see the cluster as seeded before anything changes it.
	time.Sleep(300 * time.Millisecond)
}

func importedState(t *testing.T, name string) *rancher.ImportedState {
	t.Helper()
	s, err := rancher.ReadImported(context.Background(), env.sb.Dynamic, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func versionsSet(name string, since time.Time) []string {
	var out []string
	for _, v := range env.sb.Rancher.VersionLog(name) {
		if v.Time.After(since) {
			out = append(out, v.Version)
		}
	}
	return out
}

// checkImportedOrder: each hop's workers move only after all of its servers, and
// every Linux node moves exactly once per hop, one minor at a time.
func checkImportedOrder(t *testing.T, name string, since time.Time, nodes int, path ...string) {
	t.Helper()
	lastServer, firstWorker := map[string]time.Time{}, map[string]time.Time{}
	count := map[string]int{}
	for _, e := range rancherMovesAll(since) {
		if e.Cluster != name {
			continue
		}
		count[e.To]++
		if strings.Contains(e.Roles, "control-plane") {
			if e.Time.After(lastServer[e.To]) {
				lastServer[e.To] = e.Time
			}
		} else if firstWorker[e.To].IsZero() {
			firstWorker[e.To] = e.Time
		}
	}
	for _, v := range path {
		if count[v] != nodes {
			t.Errorf("hop %s: %d node moves, want %d", v, count[v], nodes)
		}
		if !firstWorker[v].After(lastServer[v]) {
			t.Errorf("hop %s: a worker moved (%v) before the last server (%v)", v, firstWorker[v], lastServer[v])
		}
	}
}

// rancherMovesAll are the simulated node moves of every cluster since t0
// (rancherMoves keeps the provisioned cluster's only).
func rancherMovesAll(since time.Time) []ranchersim.Event {
	var out []ranchersim.Event
	for _, e := range env.sb.Rancher.Events() {
		if e.Time.After(since) {
			out = append(out, e)
		}
	}
	return out
}

func testImportedTwoHops(t *testing.T, driver, from, mid, to, channels string, nodes int) {
	name := "c-m-" + driver + "0001"
	importedFixture(t, name, driver, from, nil)
	if r := skew(t, "check", "--rancher-cluster", name); r.code != 0 || !strings.Contains(r.stdout, "control plane "+from) {
		t.Errorf("check from the management objects: %s", r)
	}
	if r := skew(t, "check", "--rancher-cluster", "edge-"+driver, "--target", "v1.34", "-o", "json"); r.code != 3 || !strings.Contains(r.stdout, "SKEW605") || !strings.Contains(r.stdout, "rancher-imported:"+name) {
		t.Errorf("check by display name, beyond Rancher's range: %s", r)
	}
	if p := skew(t, "plan", "--rancher-cluster", name, "--version", to, "--channel-server", channels); p.code != 0 || !strings.Contains(p.stdout, mid) || !strings.Contains(p.stdout, "imported") {
		t.Errorf("plan: %s", p)
	}
	since := time.Now()
	up := skew(t, "upgrade", "--rancher-cluster", name, "--version", to, "--channel-server", channels, "--wait", "--yes", "--timeout", "1m")
	if up.code != 0 {
		t.Fatalf("upgrade: %s", up)
	}
	if testing.Verbose() {
		t.Logf("%s", up)
	}
	for _, want := range []string{"hop 1 of 2 -> " + mid, "hop 2 of 2 -> " + to, "rancher: Upgraded Unknown: controlplane node [", "worker node [", "Upgrade complete", "no etcd snapshot"} {
		if !strings.Contains(up.stdout+up.stderr, want) {
			t.Errorf("upgrade output lacks %q\n%s", want, up)
		}
	}
	if got := versionsSet(name, since); strings.Join(got, " ") != mid+" "+to {
		t.Errorf("versions set: %v, want %s then %s, each once", got, mid, to)
	}
	checkImportedOrder(t, name, since, nodes, mid, to)
	s := importedState(t, name)
	if s.Cluster.StatusVersion != to || s.Cluster.Version != to || s.Condition(rancher.ConditionUpgraded).Status != "True" {
		t.Errorf("after the upgrade: spec %s, status %s, %v", s.Cluster.Version, s.Cluster.StatusVersion, s.Cluster.Conditions)
	}
	obj, err := env.sb.Dynamic.Resource(rancher.ManagementClusterResource).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ours := false
	for _, m := range obj.GetManagedFields() {
		ours = ours || m.Manager == rancher.FieldManager
	}
	if !ours {
		t.Errorf("our writes carry no field manager %q", rancher.FieldManager)
	}
	st := skew(t, "status", "--rancher-cluster", name, "-o", "json")
	var rs struct{ Mode, State, KubernetesVersion string }
	if err := json.Unmarshal([]byte(st.stdout), &rs); err != nil || rs.Mode != "imported" || rs.State != "idle" || rs.KubernetesVersion != to {
		t.Errorf("status: %+v %v %s", rs, err, st)
	}
	// The name in Rancher's UI: fleet-default/<name it was imported under> is the
	// provisioning Cluster Rancher lists the imported cluster as.
	byUIName := "fleet-default/edge-" + driver
	byUI := skew(t, "status", "--rancher-cluster", byUIName, "-o", "json")
	var bs struct{ Mode, KubernetesVersion string }
	if err := json.Unmarshal([]byte(byUI.stdout), &bs); err != nil || bs.Mode != "imported" || bs.KubernetesVersion != to {
		t.Errorf("status by the provisioning Cluster's name must read the imported cluster %s: %+v %v %s", name, bs, err, byUI)
	}
	again := skew(t, "upgrade", "--rancher-cluster", byUIName, "--version", to, "--channel-server", channels, "--wait", "--yes")
	if again.code != 0 || !strings.Contains(again.stdout, "Nothing to do") || len(versionsSet(name, since)) != 2 {
		t.Errorf("a second upgrade must change nothing: %s", again)
	}
}

// TestRancherImportedK3sTwoHops: the done-when of imported clusters: v1.30 -> v1.32
// through v1.31, each version set once, in order; each hop's workers after its servers.
func TestRancherImportedK3sTwoHops(t *testing.T) {
	testImportedTwoHops(t, rancher.DriverK3s, "v1.30.14+k3s2", "v1.31.13+k3s1", "v1.32.9+k3s1", k3sChannels(), 5)
}

// TestRancherImportedRKE2TwoHops: the same for RKE2, with an etcd-only node, which
// Rancher's worker plan moves after the control plane.
func TestRancherImportedRKE2TwoHops(t *testing.T) {
	testImportedTwoHops(t, rancher.DriverRKE2, "v1.30.14+rke2r2", "v1.31.13+rke2r1", "v1.32.9+rke2r1", rke2Channels(), 6)
}

// TestRancherImportedRefusals: each refusal names its cause in one line and writes
// nothing to the Cluster.
func TestRancherImportedRefusals(t *testing.T) {
	skipList := channelsWithout(t, "v1.31")
	cases := []struct {
		name string
		edit func(*ranchersim.ImportedFixture)
		args []string
		want string
	}{
		{"downgrade", nil, []string{"--version", "v1.29.15+k3s1"}, "downgrade"},
		{"skip", nil, []string{"--version", "v1.32.9+k3s1", "--channel-server", skipList}, "v1.31"},
		{"server concurrency 0", func(f *ranchersim.ImportedFixture) { f.Strategy.ServerConcurrency = 0 }, nil, "the server concurrency of c-m-refuse is 0"},
		{"worker concurrency 0", func(f *ranchersim.ImportedFixture) { f.Strategy.WorkerConcurrency = 0 }, nil, "set it with --agent-concurrency"},
		{"version management off", func(f *ranchersim.ImportedFixture) {
			f.Annotations = map[string]string{rancher.AnnotationVersionManagement: "false"}
		}, nil, "Rancher's version management is off for c-m-refuse"},
		{"version management off by setting", func(f *ranchersim.ImportedFixture) {
			f.Annotations = map[string]string{rancher.AnnotationVersionManagement: "system-default"}
			f.Settings = map[string]string{rancher.SettingVersionManagement: "false"}
		}, nil, "the setting imported-cluster-version-management is \"false\""},
		{"no managed SUC", func(f *ranchersim.ImportedFixture) { f.NoManagedSUC = true }, nil, "managed system-upgrade-controller"},
		{"read-only user", nil, []string{"--context", sandbox.ContextRancherViewer}, "upgrade (rancher, imported): forbidden: this identity may not patch clusters.management.cattle.io c-m-refuse cluster-wide"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			importedFixture(t, "c-m-refuse", rancher.DriverK3s, "v1.30.14+k3s2", tc.edit)
			before := importedState(t, "c-m-refuse").Cluster.ResourceVersion
			since := time.Now()
			args := append([]string{"upgrade", "--rancher-cluster", "c-m-refuse", "--channel-server", k3sChannels(), "--version", "v1.31.13+k3s1", "--wait", "--yes", "--timeout", "20s"}, tc.args...)
			r := skew(t, args...)
			if testing.Verbose() {
				t.Logf("%s", r)
			}
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want a refusal naming %q: %s", tc.want, r)
			}
			if !strings.Contains(r.stderr, "nothing was changed") && tc.name != "read-only user" {
				t.Errorf("the refusal must say nothing was changed: %s", r)
			}
			if after := importedState(t, "c-m-refuse").Cluster.ResourceVersion; after != before || len(versionsSet("c-m-refuse", since)) != 0 {
				t.Errorf("a refused upgrade wrote the Cluster")
			}
		})
	}
	t.Run("ambiguous display name", func(t *testing.T) {
		importedFixture(t, "c-m-refuse", rancher.DriverK3s, "v1.30.14+k3s2", nil)
		other := ranchersim.ImportedFixture{Name: "c-m-other", DisplayName: "edge-k3s", Driver: rancher.DriverK3s, Version: "v1.30.14+k3s2",
			Nodes: []ranchersim.MachineSpec{{Name: "o1", Roles: []string{"control-plane"}}}}
		if err := ranchersim.SeedImported(context.Background(), env.sb.Client, env.sb.Dynamic, other); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = ranchersim.RemoveImported(context.Background(), env.sb.Dynamic, "c-m-other") }()
		r := skew(t, "status", "--rancher-cluster", "edge-k3s")
		if r.code != 1 || !strings.Contains(r.stderr, "c-m-other, c-m-refuse") {
			t.Errorf("an ambiguous display name must list the candidates: %s", r)
		}
	})
}

// channelsWithout serves the K3s channels without one minor: a path through it cannot
// go one minor at a time.
func channelsWithout(t *testing.T, minor string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "channels", "k3s.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]any
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	var kept []any
	for _, c := range list["data"].([]any) {
		if c.(map[string]any)["name"] != minor {
			kept = append(kept, c)
		}
	}
	list["data"] = kept
	b, _ := json.Marshal(list)
	path := filepath.Join(t.TempDir(), "k3s.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cs, err := channelserver.Start(channelserver.Options{Fixture: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs.URL + channelserver.ListPath
}

// TestRancherImportedStall: a node that never moves stops the run with its name and
// Rancher's message; the next hop is never set. Without --wait, the run sets one hop
// and returns; abort then keeps a later run from setting the next.
func TestRancherImportedStall(t *testing.T) {
	name := "c-m-stall"
	importedFixture(t, name, rancher.DriverK3s, "v1.30.14+k3s2", func(f *ranchersim.ImportedFixture) {
		f.Annotations = map[string]string{ranchersim.StuckNode: "k3s-agent-2", ranchersim.StaleUpgraded: "true"}
	})
	since := time.Now()
	up := skew(t, "upgrade", "--rancher-cluster", name, "--version", "v1.32.9+k3s1", "--channel-server", k3sChannels(), "--wait", "--yes", "--timeout", "3s")
	if up.code != 1 || !strings.Contains(up.stderr, "node k3s-agent-2 is still on v1.30.14+k3s2") || !strings.Contains(up.stderr, "worker node [k3s-agent-2] being upgraded") || !strings.Contains(up.stderr, "stopped at hop 1 of 2") {
		t.Errorf("a stalled node must stop the run, named: %s", up)
	}
	if got := versionsSet(name, since); strings.Join(got, " ") != "v1.31.13+k3s1" {
		t.Errorf("versions set: %v, want only v1.31.13+k3s1", got)
	}
	st := skew(t, "status", "--rancher-cluster", name)
	if st.code != 0 || !strings.Contains(st.stdout, "(imported): upgrading") || !strings.Contains(st.stdout, "hop to v1.31.13+k3s1") || !strings.Contains(st.stdout, "worker node [k3s-agent-2] being upgraded") {
		t.Errorf("status of the stalled hop: %s", st)
	}
	ab := skew(t, "abort", "--rancher-cluster", name, "--yes")
	if ab.code != 0 || !strings.Contains(ab.stdout, "Rancher cannot roll back a hop that has started") {
		t.Errorf("abort: %s", ab)
	}
}

// TestRancherImportedResume: without --wait each run sets the next hop and returns;
// a run finds the hop under way and follows it; no version is set twice.
func TestRancherImportedResume(t *testing.T) {
	name := "c-m-resume"
	importedFixture(t, name, rancher.DriverK3s, "v1.30.14+k3s2", nil)
	since := time.Now()
	first := skew(t, "upgrade", "--rancher-cluster", name, "--version", "v1.32.9+k3s1", "--channel-server", k3sChannels(), "--yes")
	if first.code != 0 || !strings.Contains(first.stdout, "set spec.k3sConfig.kubernetesVersion v1.30.14+k3s2 -> v1.31.13+k3s1") || !strings.Contains(first.stdout, "run this command again") {
		t.Fatalf("without --wait: %s", first)
	}
	rest := skew(t, "upgrade", "--rancher-cluster", name, "--version", "v1.32.9+k3s1", "--channel-server", k3sChannels(), "--yes", "--wait", "--timeout", "1m")
	if rest.code != 0 || !strings.Contains(rest.stdout, "Upgrade complete") {
		t.Fatalf("resume: %s", rest)
	}
	if got := versionsSet(name, since); strings.Join(got, " ") != "v1.31.13+k3s1 v1.32.9+k3s1" {
		t.Errorf("versions set: %v", got)
	}
}

// TestRancherImportedSnapshot: with --downstream-context the run takes the SUC etcd
// snapshot on the downstream cluster (here the sandbox's own nodes stand for it), as SUC
// mode's --snapshot does, before it sets the first hop.
func TestRancherImportedSnapshot(t *testing.T) {
	fresh(t, "k3s-healthy-ha", nil)
	name := "c-m-snap"
	seedImported(t, name, rancher.DriverK3s, "v1.30.14+k3s2", nil)
	since := time.Now()
	up := skew(t, "upgrade", "--rancher-cluster", name, "--version", "v1.31.13+k3s1", "--channel-server", k3sChannels(),
		"--downstream-context", sandbox.ContextAdmin, "--suc-namespace", "system-upgrade", "--server-concurrency", "2", "--yes", "--wait", "--timeout", "1m")
	if testing.Verbose() {
		t.Logf("%s", up)
	}
	if up.code != 0 || !strings.Contains(up.stdout, "snapshot: kubectl-skew-pre-upgrade-") || !strings.Contains(up.stdout, "serverConcurrency 1 -> 2 (asked for)") || strings.Contains(up.stderr, "no etcd snapshot") {
		t.Fatalf("upgrade with a downstream snapshot: %s", up)
	}
	if i, j := strings.Index(up.stdout, "snapshot: kubectl-skew-pre-upgrade-"), strings.Index(up.stdout, "set spec.k3sConfig.kubernetesVersion"); i > j {
		t.Errorf("the version was set before the snapshot was taken")
	}
	if s := importedState(t, name); s.Cluster.Strategy.ServerConcurrency != 2 || s.Cluster.Strategy.WorkerConcurrency != 2 {
		t.Errorf("strategy after the run: %+v", s.Cluster.Strategy)
	}
	if got := versionsSet(name, since); strings.Join(got, " ") != "v1.31.13+k3s1" {
		t.Errorf("versions set: %v", got)
	}
}

// TestRancherImportedSimulatorUnguarded: the simulator is as unguarded as Rancher: a
// version that skips a minor is applied, a lower one silently ignored.
func TestRancherImportedSimulatorUnguarded(t *testing.T) {
	name := "c-m-raw"
	importedFixture(t, name, rancher.DriverK3s, "v1.30.14+k3s2", nil)
	s := importedState(t, name)
	if err := rancher.SetImportedVersion(context.Background(), env.sb.Dynamic, &s.Cluster, "v1.32.9+k3s1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the skipped minor to be applied", func() (bool, string) {
		s := importedState(t, name)
		return s.Cluster.StatusVersion == "v1.32.9+k3s1" && s.Condition(rancher.ConditionUpgraded).Status == "True", s.Stalled("v1.32.9+k3s1")
	})
	s = importedState(t, name)
	if err := rancher.SetImportedVersion(context.Background(), env.sb.Dynamic, &s.Cluster, "v1.31.13+k3s1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if s := importedState(t, name); s.Cluster.StatusVersion != "v1.32.9+k3s1" || s.Condition(rancher.ConditionUpgraded).Status != "True" || s.Laggard("v1.32.9+k3s1") != nil {
		t.Errorf("a lower version must be ignored: status %s, %v", s.Cluster.StatusVersion, s.Cluster.Conditions)
	}
}

// TestRancherImportedAbort: abort during a --wait run stops it before its next hop;
// the hop under way finishes (Rancher cannot roll it back), the next is never set.
func TestRancherImportedAbort(t *testing.T) {
	name := "c-m-abort"
	importedFixture(t, name, rancher.DriverK3s, "v1.30.14+k3s2", nil)
	since := time.Now()
	done := make(chan result, 1)
	go func() {
		done <- skew(t, "upgrade", "--rancher-cluster", name, "--version", "v1.32.9+k3s1", "--channel-server", k3sChannels(), "--wait", "--yes", "--timeout", "1m")
	}()
	waitFor(t, "the first hop to be set", func() (bool, string) {
		got := versionsSet(name, since)
		return len(got) > 0, strings.Join(got, " ")
	})
	ab := skew(t, "abort", "--rancher-cluster", name, "--yes")
	if ab.code != 0 || !strings.Contains(ab.stdout, "the hop to v1.31.13+k3s1 is under way") || !strings.Contains(ab.stdout, "Rancher cannot roll back a hop that has started") {
		t.Errorf("abort: %s", ab)
	}
	up := <-done
	if up.code != 1 || !strings.Contains(up.stderr, "aborted before hop 2 of 2") || !strings.Contains(up.stdout, "hop 1 of 2 done") {
		t.Errorf("the run must finish hop 1 and stop before hop 2: %s", up)
	}
	if got := versionsSet(name, since); strings.Join(got, " ") != "v1.31.13+k3s1" {
		t.Errorf("versions set: %v, want only v1.31.13+k3s1", got)
	}
	if st := skew(t, "status", "--rancher-cluster", name); !strings.Contains(st.stdout, "abort was requested") {
		t.Errorf("status after abort: %s", st)
	}
}
