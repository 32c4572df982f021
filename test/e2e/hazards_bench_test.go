package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// benchNodeArgs are node-args as K3s writes them for a node started from a config.yaml
// of a dozen keys, secrets masked: what every node of the hazards benchmark carries.
var benchNodeArgs = map[scenarios.Role]string{
	scenarios.Server: `["server","--cluster-init","true","--tls-san","k3s.example.internal","--write-kubeconfig-mode","0644",` +
		`"--disable","servicelb","--flannel-backend","vxlan","--kube-apiserver-arg","audit-log-maxage=30",` +
		`"--kube-apiserver-arg","audit-log-path=/var/log/k3s-audit.log","--kubelet-arg","max-pods=150",` +
		`"--kubelet-arg=eviction-hard=memory.available<200Mi","--node-label","tier=server","--token","********"]`,
	scenarios.Agent: `["agent","--server","https://k3s.example.internal:6443","--token","********",` +
		`"--kubelet-arg","max-pods=150","--kubelet-arg=eviction-hard=memory.available<200Mi",` +
		`"--kubelet-arg","image-gc-high-threshold=80","--kube-proxy-arg","proxy-mode=iptables",` +
		`"--node-label","tier=agent","--node-taint","dedicated=batch:NoSchedule","--protect-kernel-defaults","true"]`,
}

// BenchmarkHazards5000 measures what the hop hazards add to `check --target` on the
// 5,000-node scenario with node-args on every node, for a three-hop path (v1.32 to
// v1.35): the same check with --hazards=false, and the raw node list for scale, run
// alternately in the same run; medians over b.N rounds. The plugin runs directly.
//
//	go test ./test/e2e -run '^$' -bench Hazards5000 -benchtime 9x
func BenchmarkHazards5000(b *testing.B) {
	env.mu.Lock()
	defer env.mu.Unlock()
	s, err := scenarios.Load("k3s-5000")
	if err != nil {
		b.Fatal(err)
	}
	for i := range s.Nodes {
		s.Nodes[i].Annotations = map[string]string{"k3s.io/node-args": benchNodeArgs[s.Nodes[i].Role]}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := env.sb.SeedScenario(ctx, s); err != nil {
		b.Fatal(err)
	}
	plugin := filepath.Join(env.bin, "kubectl-skew")
	timed := func(bin string, args ...string) time.Duration {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig}
		start := time.Now()
		err := cmd.Run()
		took := time.Since(start)
		if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 3) {
			b.Fatalf("%s %v: %v", bin, args, err)
		}
		return took
	}
	on := []string{"check", "--target", "v1.35", "-o", "json"}
	off := append(append([]string{}, on...), "--hazards=false")
	timed(plugin, on...) // warm the apiserver's caches once
	var with, without, raw []time.Duration
	b.ResetTimer()
	for range b.N {
		with = append(with, timed(plugin, on...))
		without = append(without, timed(plugin, off...))
		raw = append(raw, timed(env.sb.Tools.Kubectl, "get", "--raw", "/api/v1/nodes"))
	}
	b.StopTimer()
	median := func(d []time.Duration) time.Duration {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d[len(d)/2]
	}
	mw, mo, mr := median(with), median(without), median(raw)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(mw), "hazards-ms")
	b.ReportMetric(ms(mo), "no-hazards-ms")
	b.ReportMetric(ms(mr), "raw-list-ms")
	b.ReportMetric(float64(mw-mo)/float64(mo)*100, "added-%")
	b.Logf("check --target v1.35 -o json: %v with hazards, %v without (+%.1f%%); kubectl get --raw /api/v1/nodes %v (medians of %d)",
		mw.Round(time.Millisecond), mo.Round(time.Millisecond), float64(mw-mo)/float64(mo)*100, mr.Round(time.Millisecond), b.N)
}
