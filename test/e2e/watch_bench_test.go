package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkWatch5000 measures the watch on the 5,000-node scenario against what a
// user runs instead, in the same run: one `check -o json` and one raw node list
// (`kubectl get --raw /api/v1/nodes`), by peak memory; the watch's memory at steady
// state, its CPU while nothing changes, and, per op, the time from a node's kubelet
// version changing to the new series on /metrics.
//
//	go test ./test/e2e -run '^$' -bench Watch5000 -benchtime 10x
func BenchmarkWatch5000(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	ctx := context.Background()
	if err := env.sb.Seed(ctx, "k3s-5000"); err != nil {
		b.Fatal(err)
	}
	plugin := filepath.Join(env.bin, "kubectl-skew")
	// The plugin itself, not through kubectl: kubectl's own memory before it execs the
	// plugin would count in the peak of both.
	checkRSS, checkTook := peakRSS(b, plugin, "check", "-o", "json")
	rawRSS, rawTook := peakRSS(b, env.sb.Tools.Kubectl, "get", "--raw", "/api/v1/nodes")

	cmd := exec.Command(plugin, "watch", "--metrics-addr", "127.0.0.1:0")
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig}
	errOut := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := ""
	for addr == "" || func() bool { c, err := httpGet("http://" + addr + "/readyz"); return err != nil || c != 200 }() {
		if m := servingRE.FindStringSubmatch(errOut.String()); m != nil {
			addr = m[1]
		}
		if time.Since(began) > time.Minute {
			b.Fatalf("watch not ready within a minute: %s", errOut)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ready := time.Since(began)

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
	b.ReportMetric(mib(checkRSS), "check-MiB")
	b.ReportMetric(mib(rawRSS), "raw-list-MiB")
	b.ReportMetric(mib(steady), "watch-steady-MiB")
	b.ReportMetric(mib(peak), "watch-peak-MiB")
	b.ReportMetric(float64(steady)/float64(checkRSS), "steady/check")
	b.ReportMetric(idleCPU, "idle-cpu-%")
	b.Logf("check -o json %v, raw list %v, watch ready after %v", checkTook.Round(time.Millisecond), rawTook.Round(time.Millisecond), ready.Round(time.Millisecond))
}

// peakRSS runs a command once and returns its peak resident memory (KiB) and time.
func peakRSS(b *testing.B, bin string, args ...string) (int64, time.Duration) {
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig}
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 3) {
		b.Fatalf("%s %v: %v", bin, args, err)
	}
	return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss, took
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
