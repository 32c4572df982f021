package e2e

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
)

// kubeconfigAt copies the sandbox kubeconfig with its server moved to addr.
func kubeconfigAt(t *testing.T, addr string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(env.sb.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://" + addr
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// stoppedAddr is a loopback port nothing listens on: what a client sees of a stopped
// apiserver (connection refused).
func stoppedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// oneLineError asserts exit 1, nothing on stdout and exactly one line on stderr.
func oneLineError(t *testing.T, r result, within time.Duration) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit code %d, want 1", r.code)
	}
	if strings.TrimSpace(r.stdout) != "" {
		t.Errorf("stdout should be empty on error")
	}
	if n := len(lines(r.stderr)); n != 1 {
		t.Errorf("stderr has %d lines, want one clear line", n)
	}
	if r.took > within {
		t.Errorf("took %v, want under %v", r.took, within)
	}
	if t.Failed() {
		t.Logf("%s", r)
	}
}

func TestStoppedAPIServer(t *testing.T) {
	kc := kubeconfigAt(t, stoppedAddr(t))
	for _, args := range [][]string{
		{"skew", "check"},
		{"skew", "check", "-o", "json"},
		{"skew", "version", "--client=false"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := kubectl(t, kc, args...)
			oneLineError(t, r, 10*time.Second)
		})
	}
}

// TestSilentAPIServer: a server that accepts connections and never answers (a hung
// apiserver, a black-holing proxy) must not hang the plugin past --request-timeout.
func TestSilentAPIServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		// Hold every connection open, say nothing; closing the listener ends this.
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	r := kubectl(t, kubeconfigAt(t, l.Addr().String()), "skew", "check", "--request-timeout=2s")
	oneLineError(t, r, 15*time.Second)
}
