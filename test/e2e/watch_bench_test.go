package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// startRounds is how many times BenchmarkWatch5000 starts the watch, each time beside
// one check and one raw list: start-up figures are medians over them.
const startRounds = 7

// BenchmarkWatch5000 measures the watch on the 5,000-node scenario against what a
// user runs instead, in the same run: `check -o json` and a raw node list
// (`kubectl get --raw /api/v1/nodes`), by time from start to ready (medians of
// startRounds interleaved rounds) and by peak memory; the watch's memory at steady
// state, its CPU while nothing changes, and, per op, the time from a node's kubelet
// version changing to the new series on /metrics.
//
//	go test ./test/e2e -run '^$' -bench Watch5000 -benchtime 10x
//
// With SKEW_BENCH_BASELINE naming another kubectl-skew binary (an older build), each
// round also starts that one's watch, for a before-and-after in the same run.
func BenchmarkWatch5000(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	ctx := context.Background()
	if err := env.sb.Seed(ctx, "k3s-5000"); err != nil {
		b.Fatal(err)
	}
	plugin := filepath.Join(env.bin, "kubectl-skew")
	// The plugin itself, not through kubectl: kubectl's own start (and memory) before
	// it execs the plugin would count in every figure of both.
	// One warm-up of each, untimed: the first requests fill the apiserver's caches.
	peakRSS(b, plugin, "check", "-o", "json")
	peakRSS(b, env.sb.Tools.Kubectl, "get", "--raw", "/api/v1/nodes")
	var (
		checkTook, rawTook, readyTook []time.Duration
		baseTook                      []time.Duration
		baseline                      = os.Getenv("SKEW_BENCH_BASELINE")
		checkRSS, rawRSS, startPeak   []int64
		watch                         *benchWatch
	)
	for r := range startRounds {
		rss, took := peakRSS(b, plugin, "check", "-o", "json")
		checkRSS, checkTook = append(checkRSS, rss), append(checkTook, took)
		rss, took = peakRSS(b, env.sb.Tools.Kubectl, "get", "--raw", "/api/v1/nodes")
		rawRSS, rawTook = append(rawRSS, rss), append(rawTook, took)
		if baseline != "" {
			w := startBenchWatch(b, baseline)
			baseTook = append(baseTook, w.ready)
			w.stop()
		}
		w := startBenchWatch(b, plugin)
		readyTook = append(readyTook, w.ready)
		_, hwm := procMemKiB(b, w.cmd.Process.Pid)
		startPeak = append(startPeak, hwm)
		if r < startRounds-1 {
			w.stop()
			continue
		}
		watch = w // the last one goes on, for the steady-state figures
	}
	defer watch.stop()
	addr, cmd := watch.addr, watch.cmd

	// Idle: nothing changes for 10 s (the apiserver's watch bookmarks still arrive).
	time.Sleep(2 * time.Second)
	cpu0 := cpuTicks(b, cmd.Process.Pid)
	time.Sleep(10 * time.Second)
	idleCPU := float64(cpuTicks(b, cmd.Process.Pid)-cpu0) / 100 / 10 * 100 // ticks are 1/100 s: percent of one core
	steady, peak := procMemKiB(b, cmd.Process.Pid)

	metrics := "http://" + addr + "/metrics"
	nodes := env.sb.Client.CoreV1().Nodes()
	b.ResetTimer()
	for i := range b.N {
		name := fmt.Sprintf("k3s-agent-%04d", 3+i%4000)
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		orig := n.Status.NodeInfo.KubeletVersion
		n.Status.NodeInfo.KubeletVersion = "v1.28.15+k3s1" // four minors behind v1.32
		series := fmt.Sprintf(`kubectl_skew_findings{id="SKEW102",severity="error",subject="node/%s"} 1`, name)
		if n, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		waitMetrics(b, metrics, func(s string) bool { return strings.Contains(s, series) })
		b.StopTimer()
		n.Status.NodeInfo.KubeletVersion = orig
		if _, err := nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			b.Fatal(err)
		}
		waitMetrics(b, metrics, func(s string) bool { return !strings.Contains(s, series) })
		b.StartTimer()
	}
	b.StopTimer()
	mib := func(kib int64) float64 { return float64(kib) / 1024 }
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	check, raw, ready := median(checkTook), median(rawTook), median(readyTook)
	b.ReportMetric(ms(check), "check-ms")
	b.ReportMetric(ms(raw), "raw-list-ms")
	b.ReportMetric(ms(ready), "watch-ready-ms")
	b.ReportMetric(float64(ready)/float64(check), "ready/check")
	if gnuTime != "" {
		b.ReportMetric(mib(median(checkRSS)), "check-MiB")
		b.ReportMetric(mib(median(rawRSS)), "raw-list-MiB")
		b.ReportMetric(float64(steady)/float64(median(checkRSS)), "steady/check")
	} else {
		b.Log("no GNU time (/usr/bin/time): the peak memory of check and of the raw list is not measured")
	}
	b.ReportMetric(mib(median(startPeak)), "watch-ready-peak-MiB")
	b.ReportMetric(mib(steady), "watch-steady-MiB")
	b.ReportMetric(mib(peak), "watch-peak-MiB")
	b.ReportMetric(idleCPU, "idle-cpu-%")
	if baseline != "" {
		b.ReportMetric(ms(median(baseTook)), "baseline-ready-ms")
		b.Logf("start to ready of the baseline watch (%s): %v", baseline, rounded(baseTook))
	}
	b.Logf("start to ready over %d rounds (goal: the watch within 1.5x of check): check -o json %v, raw list %v, watch %v",
		startRounds, rounded(checkTook), rounded(rawTook), rounded(readyTook))
}

// benchWatch is `kubectl-skew watch --metrics-addr 127.0.0.1:0` started by a benchmark.
type benchWatch struct {
	cmd   *exec.Cmd
	addr  string
	ready time.Duration // from the start of the process to /readyz answering 200
}

// startBenchWatch starts the watch and polls /readyz every 5 ms from the moment it
// says where it serves (it says so once ready).
func startBenchWatch(b *testing.B, plugin string) *benchWatch {
	cmd := exec.Command(plugin, "watch", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig}
	errOut := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := &benchWatch{cmd: cmd}
	for w.addr == "" || func() bool { c, err := httpGet("http://" + w.addr + "/readyz"); return err != nil || c != 200 }() {
		if m := servingRE.FindStringSubmatch(errOut.String()); m != nil {
			w.addr = m[1]
		}
		if time.Since(began) > time.Minute {
			w.stop()
			b.Fatalf("watch not ready within a minute: %s", errOut)
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.ready = time.Since(began)
	return w
}

// stop ends the watch as the kubelet would (SIGTERM), and kills it if it lingers.
func (w *benchWatch) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = w.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = w.cmd.Process.Kill()
		<-done
	}
}

func median[T int64 | time.Duration](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rounded(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// gnuTime is GNU time, which peakRSS measures memory through; "" where it is missing.
var gnuTime = func() string {
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		return "/usr/bin/time"
	}
	return ""
}()

// peakRSS runs a command once and returns its peak resident memory (KiB) and time.
// The memory is what GNU time reads of it, 0 without GNU time. Not the ru_maxrss of a
// child the test starts itself: Go starts children with vfork, so a child shares the
// test binary's memory until it execs, and Linux counts that high-water mark (the
// test's own, some 200 MiB once it has seeded 5,000 nodes) as the child's. GNU time
// forks a small process of its own for the command.
func peakRSS(b *testing.B, bin string, args ...string) (int64, time.Duration) {
	var out string
	if gnuTime != "" {
		f, err := os.CreateTemp(b.TempDir(), "rss")
		if err != nil {
			b.Fatal(err)
		}
		out = f.Name()
		f.Close()
		args = append([]string{"-f", "%M", "-o", out, bin}, args...)
		bin = gnuTime
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 3) {
		b.Fatalf("%s %v: %v", bin, args, err)
	}
	if out == "" {
		return 0, took
	}
	// With a non-zero exit GNU time writes a line of its own first: the figure is last.
	s, err := os.ReadFile(out)
	if err != nil {
		b.Fatal(err)
	}
	fields := strings.Fields(string(s))
	if len(fields) == 0 {
		b.Fatalf("GNU time wrote nothing for %s %v", bin, args)
	}
	kib, err := strconv.ParseInt(fields[len(fields)-1], 10, 64)
	if err != nil {
		b.Fatalf("GNU time's output %q: %v", s, err)
	}
	return kib, took
}

// procMemKiB reads the resident memory now and its peak (VmRSS, VmHWM) of a process.
func procMemKiB(b *testing.B, pid int) (rss, hwm int64) {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(s), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			if f[0] == "VmRSS:" {
				rss = v
			} else {
				hwm = v
			}
		}
	}
	return rss, hwm
}

// cpuTicks is a process's user and system time in clock ticks (/proc/PID/stat).
func cpuTicks(b *testing.B, pid int) int64 {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	f := strings.Fields(string(s)[strings.LastIndexByte(string(s), ')')+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

func waitMetrics(b *testing.B, u string, ok func(string) bool) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			b.Fatal(err)
		}
		if ok(string(body)) {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("metrics did not change within 30s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
