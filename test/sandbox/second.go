package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SecondAPIServer is another kube-apiserver over the sandbox's etcd, as an HA
// control plane has: the same objects, the same users, its own port and its own
// /metrics. Pointing one client at it alone isolates that client's requests in
// apiserver_request_total, which has no user-agent label.
type SecondAPIServer struct {
	// Server is its URL; Kubeconfig a kubeconfig for it, with the sandbox's contexts.
	Server     string
	Kubeconfig string
	sb         *Sandbox
	p          *process
}

// StartSecondAPIServer starts a second kube-apiserver on a free port and waits
// until it is ready. Stop it when done; the sandbox's Stop does not.
func (sb *Sandbox) StartSecondAPIServer(ctx context.Context, name string) (*SecondAPIServer, error) {
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		p, server, err := sb.runAPIServerAt(ctx, port, name)
		if err != nil {
			lastErr = err
			if p != nil && strings.Contains(tail(p.logPath, 30), "address already in use") {
				continue
			}
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		a := &SecondAPIServer{Server: server, Kubeconfig: sb.state.path(name + ".kubeconfig"), sb: sb, p: p}
		if err := writeKubeconfig(a.Kubeconfig, server, sb.pki.caPEM, sb.Users); err != nil {
			p.stop(10 * time.Second)
			return nil, err
		}
		return a, nil
	}
	return nil, fmt.Errorf("start %s: %w", name, lastErr)
}

// Metrics is the apiserver's /metrics text, read as the admin.
func (a *SecondAPIServer) Metrics(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.Server+"/metrics", nil)
	if err != nil {
		return "", err
	}
	c := a.sb.adminHTTPClient()
	c.Timeout = 30 * time.Second
	resp, err := c.Do(req)
	if err != nil {
		return "", fmt.Errorf("read %s/metrics: %w", a.Server, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("read %s/metrics: %s %v", a.Server, resp.Status, err)
	}
	return string(b), nil
}

// Stop ends it.
func (a *SecondAPIServer) Stop() { a.p.stop(10 * time.Second) }
