package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// fleetBenchSize is the number of contexts of BenchmarkFleet100, each behind its own
// proxy with fleetBenchLatency of round trip.
const (
	fleetBenchSize    = 100
	fleetBenchLatency = 100 * time.Millisecond
)

// latencyKubeconfig writes a kubeconfig of n contexts (ctx-001...) on the shared
// apiserver, each through its own slowProxy of the given latency: n clusters across a
// slow network, as far as the client can tell.
func latencyKubeconfig(tb testing.TB, n int, latency time.Duration) string {
	tb.Helper()
	clusters := map[string]*sandbox.Sandbox{}
	for i := 1; i <= n; i++ {
		clusters[fmt.Sprintf("ctx-%03d", i)] = env.sb
	}
	kubeconfig := fleetKubeconfig(tb, clusters)
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		tb.Fatal(err)
	}
	// Only the n proxied contexts: the benchmark's rows are all readable.
	for _, name := range []string{"badcreds", "offline"} {
		delete(cfg.Contexts, name)
		delete(cfg.Clusters, name)
		delete(cfg.AuthInfos, name)
	}
	target := strings.TrimPrefix(env.sb.Server, "https://")
	for name := range clusters {
		c := *cfg.Clusters[name]
		c.Server = slowProxy(tb, target, latency)
		cfg.Clusters[name] = &c
	}
	cfg.CurrentContext = "ctx-001"
	if err := clientcmd.WriteToFile(*cfg, kubeconfig); err != nil {
		tb.Fatal(err)
	}
	return kubeconfig
}

// fleetRun is one timed command: its wall time and its peak resident memory (KiB).
type fleetRun struct {
	took time.Duration
	rss  int64
}

// runMeasured runs bin with the e2e PATH, or with path when given.
func runMeasured(tb testing.TB, kubeconfig, path, bin string, args ...string) fleetRun {
	tb.Helper()
	if path == "" {
		path = env.path
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + path, "HOME=" + env.home, "KUBECONFIG=" + kubeconfig}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 3) {
		tb.Fatalf("%s %v: %v\n%s", bin, args, err, out.String())
	}
	return fleetRun{took: took, rss: cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss}
}

// BenchmarkFleet100 checks 100 contexts, each behind 100 ms of round trip, with the
// default parallelism (one worker per context, within the workstation's limits) and
// with the former default of --parallel 8, against one context alone; and, for what a
// user would do instead, one `kubectl get --raw /api/v1/nodes` per context: all 100 at
// once, and (in the first round only, as it takes 100 round trips) one after another.
// Rounds alternate the variants; the figures are medians over b.N rounds. The plugin
// runs directly (kubectl would exec it in its own place); its peak RSS is measured in
// runs of their own without kubectl on PATH, so that it is the plugin's alone.
//
//	go test ./test/e2e -run '^$' -bench Fleet100 -benchtime 5x -timeout 20m
func BenchmarkFleet100(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.sb.Seed(ctx, "k3s-healthy-ha"); err != nil {
		b.Fatal(err)
	}
	kubeconfig := latencyKubeconfig(b, fleetBenchSize, fleetBenchLatency)
	plugin := filepath.Join(env.bin, "kubectl-skew")
	kubectlBin := env.sb.Tools.Kubectl
	names := make([]string, fleetBenchSize)
	for i := range names {
		names[i] = fmt.Sprintf("ctx-%03d", i+1)
	}
	kubectlAll := func() time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for _, name := range names {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runMeasured(b, kubeconfig, "", kubectlBin, "--context", name, "get", "--raw", "/api/v1/nodes")
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	kubectlLoop := func() time.Duration {
		start := time.Now()
		for _, name := range names {
			runMeasured(b, kubeconfig, "", kubectlBin, "--context", name, "get", "--raw", "/api/v1/nodes")
		}
		return time.Since(start)
	}
	runMeasured(b, kubeconfig, "", plugin, "check", "--all-contexts", "-o", "json") // warm caches once

	// The memory runs: a plugin that finds no kubectl to ask its version of, so that
	// the peak is its own and not that child's.
	noKubectl := env.bin
	var one, auto, eight, oneMem, autoMem []fleetRun
	var rawOne, rawAll []time.Duration
	var loop time.Duration
	b.ResetTimer()
	for i := range b.N {
		one = append(one, runMeasured(b, kubeconfig, "", plugin, "check", "--contexts", "ctx-001", "-o", "json"))
		auto = append(auto, runMeasured(b, kubeconfig, "", plugin, "check", "--all-contexts", "-o", "json"))
		eight = append(eight, runMeasured(b, kubeconfig, "", plugin, "check", "--all-contexts", "--parallel", "8", "-o", "json"))
		oneMem = append(oneMem, runMeasured(b, kubeconfig, noKubectl, plugin, "check", "--contexts", "ctx-001", "-o", "json"))
		autoMem = append(autoMem, runMeasured(b, kubeconfig, noKubectl, plugin, "check", "--all-contexts", "-o", "json"))
		rawOne = append(rawOne, runMeasured(b, kubeconfig, "", kubectlBin, "get", "--raw", "/api/v1/nodes").took)
		rawAll = append(rawAll, kubectlAll())
		if i == 0 && os.Getenv("FLEET_BENCH_LOOP") != "0" {
			loop = kubectlLoop()
		}
	}
	b.StopTimer()

	mOne, mAuto, mEight := medianRun(one), medianRun(auto), medianRun(eight)
	mOne.rss, mAuto.rss = medianRun(oneMem).rss, medianRun(autoMem).rss
	mRawOne, mRawAll := medianDuration(rawOne), medianDuration(rawAll)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(mOne.took), "one-ms")
	b.ReportMetric(ms(mAuto.took), "auto-ms")
	b.ReportMetric(ms(mEight.took), "parallel8-ms")
	b.ReportMetric(float64(mAuto.took)/float64(mOne.took), "auto/one")
	b.ReportMetric(ms(mRawOne), "kubectl-one-ms")
	b.ReportMetric(ms(mRawAll), "kubectl-100-at-once-ms")
	if loop > 0 {
		b.ReportMetric(ms(loop), "kubectl-100-in-turn-ms")
	}
	b.ReportMetric(float64(mOne.rss)/1024, "one-MiB")
	b.ReportMetric(float64(mAuto.rss)/1024, "auto-MiB")
	b.ReportMetric(float64(mAuto.rss-mOne.rss)/float64(fleetBenchSize-1), "KiB/context")
	b.Logf("%d contexts through %v: one %v (%.1f MiB), all with default parallelism %v (%.1fx, %.1f MiB, %.0f KiB per added context), --parallel 8 %v; "+
		"kubectl get --raw /api/v1/nodes: one %v, %d at once %v, in turn %v (medians of %d)",
		fleetBenchSize, fleetBenchLatency, mOne.took.Round(time.Millisecond), float64(mOne.rss)/1024,
		mAuto.took.Round(time.Millisecond), float64(mAuto.took)/float64(mOne.took), float64(mAuto.rss)/1024,
		float64(mAuto.rss-mOne.rss)/float64(fleetBenchSize-1), mEight.took.Round(time.Millisecond),
		mRawOne.Round(time.Millisecond), fleetBenchSize, mRawAll.Round(time.Millisecond), loop.Round(time.Millisecond), b.N)
}

func medianDuration(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// medianRun is the run of median time, and the median peak memory (taken apart).
func medianRun(runs []fleetRun) fleetRun {
	took := make([]time.Duration, len(runs))
	rss := make([]time.Duration, len(runs))
	for i, r := range runs {
		took[i], rss[i] = r.took, time.Duration(r.rss)
	}
	return fleetRun{took: medianDuration(took), rss: int64(medianDuration(rss))}
}
