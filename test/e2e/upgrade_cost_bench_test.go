package e2e

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// The upgrade's cost benchmarks compare the plugin under test with the one a user
// runs today, built from an earlier commit and named by SKEW_BASE_BIN (without it
// only the plugin under test is measured):
//
//	git worktree add /tmp/skew-base <commit> && (cd /tmp/skew-base && go build -o /tmp/skew-base/kubectl-skew ./cmd/kubectl-skew)
//	SKEW_BASE_BIN=/tmp/skew-base/kubectl-skew go test ./test/e2e -run '^$' -bench 'UpgradeGates|UpgradeCost' -benchtime 3x -timeout 60m
//
// docs/cost.md holds the figures.

// benchBinaries are the plugins measured, by name: "after" (under test) and, with
// SKEW_BASE_BIN, "before".
func benchBinaries() [][2]string {
	out := [][2]string{{"after", filepath.Join(env.bin, "kubectl-skew")}}
	if base := os.Getenv("SKEW_BASE_BIN"); base != "" {
		out = append([][2]string{{"before", base}}, out...)
	}
	return out
}

// runUpgrade runs bin's upgrade --wait against kubeconfig and returns how long it
// took; stop, when set, ends it with an interrupt once it returns true.
func runUpgrade(b *testing.B, bin, kubeconfig string, stop func() bool, args ...string) (time.Duration, string) {
	b.Helper()
	d, out, err := tryUpgrade(b, bin, kubeconfig, stop, args...)
	if err != nil {
		b.Fatalf("%s %v: %v\n%s", bin, args, err, out)
	}
	return d, out
}

// tryUpgrade is runUpgrade that returns the run's failure instead of failing.
func tryUpgrade(b *testing.B, bin, kubeconfig string, stop func() bool, args ...string) (time.Duration, string, error) {
	b.Helper()
	args = append([]string{"upgrade", "--channel-server", k3sChannels(), "--yes", "--wait"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + kubeconfig}
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if stop != nil {
		for !stop() {
			select {
			case err := <-done:
				b.Fatalf("%s %v ended before it was stopped: %v\n%s", bin, args, err, out.String())
			case <-time.After(100 * time.Millisecond):
			}
		}
		_ = cmd.Process.Signal(syscall.SIGINT)
		<-done
		return time.Since(start), out.String(), nil
	}
	err := <-done
	return time.Since(start), out.String(), err
}

// planWrites records when a write of the upgrade reaches a Plan (created, spec
// changed, deleted: what only the plugin does) and when anything else changes a
// Plan (SUC's status): seen by a watch of the benchmark's own.
type planWrites struct {
	mu      sync.Mutex
	writes  []time.Time
	changes []cond
}

// cond is a change a write may have waited for; gate: a server's (back, pods moved,
// its heartbeat), what the gate between servers and before the agents waits for.
type cond struct {
	at   time.Time
	gate bool
}

func watchPlanWrites(ctx context.Context, b *testing.B) *planWrites {
	pw := &planWrites{}
	f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(env.sb.Dynamic, 0, sandbox.SUCNamespace, nil)
	inf := f.ForResource(plansGVR).Informer()
	note := func(write bool) {
		pw.mu.Lock()
		defer pw.mu.Unlock()
		if write {
			pw.writes = append(pw.writes, time.Now())
		} else {
			pw.changes = append(pw.changes, cond{at: time.Now()})
		}
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { note(true) },
		UpdateFunc: func(o, n any) {
			// The plugin writes the spec and its own labels and annotations; SUC
			// only the status.
			ou, nu := o.(*unstructured.Unstructured), n.(*unstructured.Unstructured)
			switch {
			case ou.GetGeneration() != nu.GetGeneration() || !maps.Equal(ou.GetAnnotations(), nu.GetAnnotations()) || !maps.Equal(ou.GetLabels(), nu.GetLabels()):
				note(true)
			case !equality.Semantic.DeepEqual(ou.Object["status"], nu.Object["status"]):
				note(false)
			}
		},
		DeleteFunc: func(any) { note(true) },
	})
	if err != nil {
		b.Fatal(err)
	}
	// A server's heartbeat is a condition of its gate: its Lease's renewals count
	// as changes too.
	lf := informers.NewSharedInformerFactoryWithOptions(env.sb.Client, 0, informers.WithNamespace(corev1.NamespaceNodeLease))
	_, err = lf.Coordination().V1().Leases().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, n any) {
			if l, ok := n.(*coordinationv1.Lease); ok && strings.Contains(l.Name, "server") {
				pw.mu.Lock()
				pw.changes = append(pw.changes, cond{at: time.Now(), gate: true})
				pw.mu.Unlock()
			}
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	f.Start(ctx.Done())
	lf.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	lf.WaitForCacheSync(ctx.Done())
	return pw
}

// gateLatencies are, for each write of the plugin after its first, the time since
// the last change before it that the plugin could have been waiting for: a node
// back or its pods moved (the simulator's log), a Job done, a Plan's status, a
// server's Lease renewed (its heartbeat). A renewal that happens to fall between the
// real condition and the write shortens the figure: with renewals every 5 s, that
// is rare for a gate that reacts in milliseconds, and likelier for one that polls.
func gateLatencies(pw *planWrites, events []nodesim.Event, since time.Time) (all, gates []time.Duration) {
	var conds []cond
	for _, e := range events {
		switch e.Event {
		case nodesim.EventNodeUpgraded, nodesim.EventPodsMoved, nodesim.EventJobComplete:
			conds = append(conds, cond{at: e.Time, gate: e.Event != nodesim.EventJobComplete && strings.Contains(e.Node, "server")})
		}
	}
	pw.mu.Lock()
	conds = append(conds, pw.changes...)
	writes := append([]time.Time(nil), pw.writes...)
	pw.mu.Unlock()
	sort.Slice(conds, func(i, j int) bool { return conds[i].at.Before(conds[j].at) })
	sort.Slice(writes, func(i, j int) bool { return writes[i].Before(writes[j]) })
	var prev time.Time
	for _, w := range writes {
		if !w.After(since) {
			continue
		}
		if prev.IsZero() {
			prev = w // the first write follows the run's start, not a gate
			continue
		}
		var last cond
		for _, c := range conds {
			if c.at.After(prev) && c.at.Before(w) {
				last = c
			}
		}
		// A write with no change since the write before it is the same step's next
		// write (a prune, the next Plan): no gate held it.
		if !last.at.IsZero() {
			all = append(all, w.Sub(last.at))
			if last.gate {
				gates = append(gates, w.Sub(last.at))
			}
		}
		prev = w
	}
	return all, gates
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return l[len(l)-1]
}

// BenchmarkUpgradeGates: a three-hop upgrade of K3s HA (3 servers, 5 agents,
// v1.30 -> v1.33) with --wait, before and after alternately in the same run. It
// reports the upgrade's wall time and the median gate latency: from the last change
// a gate waited for to the plugin's next write to a Plan.
func BenchmarkUpgradeGates(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	bins := benchBinaries()
	took := map[string][]time.Duration{}
	lat := map[string][]time.Duration{}
	gate := map[string][]time.Duration{}
	for i := 0; i < b.N; i++ {
		for _, bin := range bins {
			seedBench(b, "k3s-healthy-ha", nil)
			ctx, cancel := context.WithCancel(context.Background())
			pw := watchPlanWrites(ctx, b)
			since := time.Now()
			d, _ := runUpgrade(b, bin[1], env.sb.Kubeconfig, nil, "--version", k3sTarget, "--timeout", "10m")
			time.Sleep(500 * time.Millisecond) // the last watch events arrive
			cancel()
			l, g := gateLatencies(pw, eventsSince(since), since)
			took[bin[0]] = append(took[bin[0]], d)
			lat[bin[0]] = append(lat[bin[0]], l...)
			gate[bin[0]] = append(gate[bin[0]], g...)
			b.Logf("%s: upgrade took %v; latencies of every write %v, of the writes after a server's condition %v", bin[0], d.Round(time.Millisecond), l, g)
		}
	}
	for _, bin := range bins {
		b.ReportMetric(median(took[bin[0]]).Seconds(), bin[0]+"-wall-s")
		b.ReportMetric(float64(median(lat[bin[0]]).Microseconds())/1000, bin[0]+"-write-ms")
		b.ReportMetric(float64(median(gate[bin[0]]).Microseconds())/1000, bin[0]+"-gate-ms")
		b.ReportMetric(float64(slices.Max(append(lat[bin[0]], 0)).Microseconds())/1000, bin[0]+"-max-ms")
	}
	restoreBench(b, "k3s-healthy-ha")
}

// seedBench seeds scenario (edited) and sets the simulator's pace.
func seedBench(b *testing.B, scenario string, edit func(*scenarios.Scenario)) {
	b.Helper()
	s, err := scenarios.Load(scenario)
	if err != nil {
		b.Fatal(err)
	}
	if edit != nil {
		edit(s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := env.sb.SeedScenario(ctx, s); err != nil {
		b.Fatalf("seed %s: %v", scenario, err)
	}
	env.sb.Nodesim.SetDelay(upgradeDelay)
}

func restoreBench(b *testing.B, scenario string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := env.sb.Seed(ctx, scenario); err != nil {
		b.Errorf("reseed %s: %v", scenario, err)
	}
}

// requestCounts are apiserver_request_total (and the bytes of the responses,
// apiserver_response_sizes_sum) by "VERB resource[/subresource]".
type requestCounts struct {
	n     map[string]float64
	bytes map[string]float64
}

var metricLine = regexp.MustCompile(`^(apiserver_request_total|apiserver_response_sizes_sum)\{(.*)\} ([0-9.e+]+)$`)
var metricLabel = regexp.MustCompile(`(\w+)="([^"]*)"`)

func readCounts(b *testing.B, a *sandbox.SecondAPIServer) requestCounts {
	b.Helper()
	text, err := a.Metrics(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	c := requestCounts{n: map[string]float64{}, bytes: map[string]float64{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := metricLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		l := map[string]string{}
		for _, kv := range metricLabel.FindAllStringSubmatch(m[2], -1) {
			l[kv[1]] = kv[2]
		}
		key := l["verb"] + " " + l["resource"]
		if l["subresource"] != "" {
			key += "/" + l["subresource"]
		}
		v, _ := strconv.ParseFloat(m[3], 64)
		if m[1] == "apiserver_request_total" {
			c.n[key] += v
		} else {
			c.bytes[key] += v
		}
	}
	return c
}

// minus is c - o, per minute of d when d > 0, less the background (per minute)
// scaled to d.
func (c requestCounts) minus(o requestCounts, bg map[string]float64, d time.Duration) (map[string]float64, float64) {
	out := map[string]float64{}
	total := 0.0
	for k, v := range c.n {
		diff := v - o.n[k] - bg[k]*d.Minutes()
		if diff >= 0.5 {
			out[k] = diff
			total += diff
		}
	}
	return out, total
}

func (c requestCounts) bytesSince(o requestCounts) float64 {
	t := 0.0
	for k, v := range c.bytes {
		t += v - o.bytes[k]
	}
	return t
}

func countsLine(m map[string]float64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%.0f", k, m[k]))
	}
	return strings.Join(parts, " ")
}

// BenchmarkUpgradeCost: the plugin alone talks to a second kube-apiserver over the
// sandbox's etcd, so that server's apiserver_request_total counts its requests (less
// the server's own background, measured first). One hop of 3 servers and N agents
// (50, then 200; SKEW_COST_AGENTS overrides) through SUC: requests per node moved.
// Then a run whose second server comes back NotReady, so the plugin waits at the
// gate while nothing moves: requests per minute at rest.
func BenchmarkUpgradeCost(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	sizes := []int{50, 200}
	if s := os.Getenv("SKEW_COST_AGENTS"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				b.Fatalf("SKEW_COST_AGENTS=%s: %v", s, err)
			}
			sizes = append(sizes, n)
		}
	}
	rest := 60 * time.Second
	if s := os.Getenv("SKEW_COST_REST"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			b.Fatal(err)
		}
		rest = d
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	second, err := env.sb.StartSecondAPIServer(ctx, "kube-apiserver-2")
	cancel()
	if err != nil {
		b.Fatal(err)
	}
	defer second.Stop()
	// The second apiserver's own requests (its leases, its informers' watches).
	t0, c0 := time.Now(), readCounts(b, second)
	time.Sleep(30 * time.Second)
	c1 := readCounts(b, second)
	bgWin := time.Since(t0)
	bg := map[string]float64{}
	for k, v := range c1.n {
		if d := v - c0.n[k]; d > 0 {
			bg[k] = d / bgWin.Minutes()
		}
	}
	b.Logf("background of the second apiserver, per minute: %s", countsLine(bg))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, agents := range sizes {
			for _, bin := range benchBinaries() {
				withAgents := func(s *scenarios.Scenario) { s.Nodes[1].Count = agents }
				seedBench(b, "k3s-healthy-ha", withAgents)
				before, at := readCounts(b, second), time.Now()
				d, out, err := tryUpgrade(b, bin[1], second.Kubeconfig, nil, "--version", "v1.31.13+k3s1", "--agent-concurrency", "10", "--timeout", "20m")
				after := readCounts(b, second)
				moved, total := after.minus(before, bg, time.Since(at))
				// On a loaded machine the simulator's Leases may lag past the node
				// controller's grace, which marks a node NotReady and fails the run's
				// verification: what moved until then still counts.
				nodes := float64(len(upgradesPerNode(eventsSince(at))))
				ended := "complete"
				if err != nil {
					ended = "stopped: " + lastLine(out)
				}
				b.Logf("%s, 3 servers + %d agents: one hop in %v (%s), %.0f nodes moved, %.0f requests (%.1f per node moved, %.0f KiB answered): %s",
					bin[0], agents, d.Round(time.Second), ended, nodes, total, total/nodes, after.bytesSince(before)/1024, countsLine(moved))
				b.ReportMetric(total/nodes, fmt.Sprintf("%s-%d-req/node", bin[0], agents))

				seedBench(b, "k3s-healthy-ha", withAgents)
				body := `{"metadata":{"annotations":{"` + nodesim.AnnotationComeBack + `":"notready"}}}`
				if _, err := env.sb.Client.CoreV1().Nodes().Patch(context.Background(), "k3s-server-2", types.MergePatchType, []byte(body), metav1.PatchOptions{}); err != nil {
					b.Fatal(err)
				}
				var from, to requestCounts
				var fromAt time.Time
				var window time.Duration
				since := time.Now()
				runUpgrade(b, bin[1], second.Kubeconfig, func() bool {
					if fromAt.IsZero() {
						for _, e := range eventsSince(since) {
							if e.Node == "k3s-server-2" && e.Event == nodesim.EventNodeUpgraded {
								// Its step verified, the run waits at the gate for k3s-server-2.
								time.Sleep(5 * time.Second)
								from, fromAt = readCounts(b, second), time.Now()
								break
							}
						}
						return false
					}
					if time.Since(fromAt) < rest {
						return false
					}
					// Read before the interrupt: the watches it ends are counted then.
					to, window = readCounts(b, second), time.Since(fromAt)
					return true
				}, "--version", "v1.31.13+k3s1", "--node-timeout", "30m", "--timeout", "30m")
				idle, total2 := to.minus(from, bg, window)
				perMin := total2 / window.Minutes()
				b.Logf("%s, 3 servers + %d agents, waiting at the gate: %.1f requests per minute (%.0f KiB per minute answered): %s",
					bin[0], agents, perMin, to.bytesSince(from)/1024/window.Minutes(), countsLine(idle))
				b.ReportMetric(perMin, fmt.Sprintf("%s-%d-idle-req/min", bin[0], agents))
			}
		}
	}
	b.StopTimer()
	restoreBench(b, "k3s-healthy-ha")
}
