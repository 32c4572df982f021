package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
	serviceCIDR = "10.43.0.0/16"
	// serviceIP is the first address of serviceCIDR: the kubernetes Service.
	serviceIP = "10.43.0.1"
	issuer    = "https://kubernetes.default.svc.cluster.local"
)

// transport is an HTTP client that trusts the sandbox CA and sends the admin token.
type bearer struct {
	token string
	next  http.RoundTripper
}

func (b *bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func (sb *Sandbox) adminHTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(sb.pki.caPEM)
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &bearer{token: sb.AdminToken, next: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}},
	}
}

// startAPIServer runs kube-apiserver against our etcd with static tokens and RBAC.
// kube-controller-manager and kube-scheduler start after it (controllers.go).
func (sb *Sandbox) startAPIServer(ctx context.Context) error {
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("start kube-apiserver: %w", err)
		}
		p, err := sb.runAPIServer(ctx, port)
		if err != nil {
			lastErr = err
			if p != nil && strings.Contains(tail(p.logPath, 30), "address already in use") {
				continue
			}
			return fmt.Errorf("start kube-apiserver: %w", err)
		}
		sb.apiserver = p
		return nil
	}
	return fmt.Errorf("start kube-apiserver: %w", lastErr)
}

// RestartAPIServer stops kube-apiserver and starts it again on the same port over the
// same etcd, as a control-plane upgrade or a crash does: clients see their watches
// drop and connections refused for a few seconds, then the same objects.
func (sb *Sandbox) RestartAPIServer(ctx context.Context) error {
	u, err := url.Parse(sb.Server)
	if err != nil {
		return fmt.Errorf("restart kube-apiserver: %w", err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		return fmt.Errorf("restart kube-apiserver: port of %s: %w", sb.Server, err)
	}
	sb.apiserver.stop(10 * time.Second)
	p, err := sb.runAPIServer(ctx, port)
	if err != nil {
		return fmt.Errorf("restart kube-apiserver: %w", err)
	}
	sb.apiserver = p
	return nil
}

// runAPIServer starts kube-apiserver on port and waits until it is ready; on failure
// it returns the stopped process too, for its log.
func (sb *Sandbox) runAPIServer(ctx context.Context, port int) (*process, error) {
	p, server, err := sb.runAPIServerAt(ctx, port, "kube-apiserver")
	if err == nil || p != nil {
		sb.Server = server
	}
	return p, err
}

// runAPIServerAt starts one kube-apiserver (the sandbox's flags) on port, logging
// to logs/<name>.log, and waits until it is ready; it returns its URL.
func (sb *Sandbox) runAPIServerAt(ctx context.Context, port int, name string) (*process, string, error) {
	args := []string{
		"--etcd-servers=" + sb.EtcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + sb.state.path("pki"),
		"--tls-cert-file=" + sb.pki.certFile,
		"--tls-private-key-file=" + sb.pki.keyFile,
		"--token-auth-file=" + sb.state.path("tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=" + issuer,
		"--service-account-key-file=" + sb.pki.saPubFile,
		"--service-account-signing-key-file=" + sb.pki.saPrivateFile,
		"--service-cluster-ip-range=" + serviceCIDR,
		// No node runs the kubernetes Service's endpoints; do not try to keep them.
		"--endpoint-reconciler-type=none",
		// SUC's Jobs are privileged.
		"--allow-privileged=true",
		// Wiping a 5,000-node scenario deletes every node in one collection call; one
		// worker (the default) takes longer than the request timeout.
		"--delete-collection-workers=8",
		"--profiling=false",
		"--v=1",
	}
	p, err := sb.startProcess(name, sb.tools.APIServer, args, nil, sb.state.path("logs", name+".log"))
	if err != nil {
		return nil, "", err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(port)
	if err := waitHTTP(ctx, p, server+"/readyz", sb.adminHTTPClient(), 90*time.Second); err != nil {
		p.stop(2 * time.Second)
		return p, server, err
	}
	return p, server, nil
}

// waitSystemNamespaces waits for kube-system, which the apiserver creates shortly
// after /readyz turns green and which SUC and the seeders need.
func (sb *Sandbox) waitSystemNamespaces(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := sb.Client.CoreV1().Namespaces().Get(ctx, metav1.NamespaceSystem, metav1.GetOptions{})
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("wait for namespace kube-system: %w", err)
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
