package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// prometheus is a real Prometheus server (Debian's package, installed by make tools)
// scraping one target every second, on a loopback port, with its data in a temp dir.
type prometheus struct {
	url string
	log string
}

// startPrometheus runs Prometheus against target (HOST:PORT) until the test ends.
func startPrometheus(t *testing.T, target string) *prometheus {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("no prometheus on PATH: run make tools (it installs Debian's prometheus package): %v", err)
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
- job_name: kubectl-skew-watch
  static_configs:
  - targets: [%q]
`, target)
	writeFile(t, filepath.Join(dir, "prometheus.yml"), []byte(cfg))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &prometheus{url: "http://" + addr, log: filepath.Join(dir, "prometheus.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--storage.tsdb.retention.time=1h",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
		logf.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(p.log)
			t.Fatalf("prometheus not ready within 30s:\n%s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// query runs an instant query and returns each series as "labels value", sorted.
func (p *prometheus) query(t *testing.T, q string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("query %s: %v", q, err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Error  string
		Data   struct {
			Result []struct {
				Metric map[string]string
				Value  [2]any
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Status != "success" {
		t.Fatalf("query %s: %v %s %s", q, err, body.Status, body.Error)
	}
	var out []string
	for _, r := range body.Data.Result {
		var ls []string
		for k, v := range r.Metric {
			if k != "instance" && k != "job" {
				ls = append(ls, k+"="+v)
			}
		}
		sort.Strings(ls)
		out = append(out, fmt.Sprintf("{%s} %v", strings.Join(ls, ","), r.Value[1]))
	}
	sort.Strings(out)
	return out
}

// waitQuery polls q until ok holds for its result and returns how long that took.
func (p *prometheus) waitQuery(t *testing.T, q string, within time.Duration, ok func([]string) bool) ([]string, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		res := p.query(t, q)
		if ok(res) {
			return res, time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("query %s: still %v after %v", q, res, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
