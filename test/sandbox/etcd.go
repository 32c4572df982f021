package sandbox

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// freePort asks the kernel for a free loopback port. Another process can take it
// before our child binds it; starters retry with new ports when that happens.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

const startAttempts = 3

// startEtcd runs a single-member etcd on loopback with a fresh data dir and no fsync:
// the data is thrown away with the sandbox, so durability buys nothing but slowness.
func (sb *Sandbox) startEtcd(ctx context.Context) error {
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		client, err := freePort()
		if err != nil {
			return fmt.Errorf("start etcd: %w", err)
		}
		peer, err := freePort()
		if err != nil {
			return fmt.Errorf("start etcd: %w", err)
		}
		dataDir := sb.state.path("etcd-data")
		if err := os.RemoveAll(dataDir); err != nil {
			return fmt.Errorf("start etcd: %w", err)
		}
		clientURL := "http://127.0.0.1:" + strconv.Itoa(client)
		peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
		args := []string{
			"--name=sandbox",
			"--data-dir=" + dataDir,
			"--listen-client-urls=" + clientURL,
			"--advertise-client-urls=" + clientURL,
			"--listen-peer-urls=" + peerURL,
			"--initial-advertise-peer-urls=" + peerURL,
			"--initial-cluster=sandbox=" + peerURL,
			"--initial-cluster-state=new",
			"--unsafe-no-fsync",
			"--logger=zap",
			"--log-level=warn",
		}
		// Debian's etcd 3.4 is built for amd64/arm64; other arches need this to start.
		env := []string{"ETCD_UNSUPPORTED_ARCH=" + runtime.GOARCH}
		p, err := sb.startProcess("etcd", sb.tools.Etcd, args, env, sb.state.path("logs", "etcd.log"))
		if err != nil {
			return err
		}
		if err := waitHTTP(ctx, p, clientURL+"/health", nil, 30*time.Second); err != nil {
			p.stop(2 * time.Second)
			lastErr = err
			if strings.Contains(tail(p.logPath, 30), "address already in use") {
				continue
			}
			return fmt.Errorf("start etcd: %w", err)
		}
		sb.etcd = p
		sb.EtcdURL = clientURL
		return nil
	}
	return fmt.Errorf("start etcd: %w", lastErr)
}

// waitHTTP polls url until it answers 200, the process exits, or the timeout passes.
func waitHTTP(ctx context.Context, p *process, url string, client *http.Client, timeout time.Duration) error {
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Second}
	}
	deadline := time.Now().Add(timeout)
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if p.exited() {
			return p.failure("wait for " + url)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v (last: %s); log %s:\n%s", p.name, timeout, last, p.logPath, tail(p.logPath, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
