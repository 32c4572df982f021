package channel

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server is an httptest TLS server on 127.0.0.1 that counts requests.
type server struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	// The refused handshakes are the point of some tests, not noise for the log.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

func (s *server) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(s.Certificate())
	return p
}

// fastOptions keep the failure tests quick: short timeouts, tiny backoff.
func (s *server) fastOptions() Options {
	return Options{
		URL: s.URL + Path, RootCAs: s.pool(),
		ConnectTimeout: time.Second, AttemptTimeout: 200 * time.Millisecond, Timeout: 2 * time.Second,
		Backoff: 5 * time.Millisecond, Retries: 2,
	}
}

func list(t *testing.T, opts Options) (*List, error) {
	t.Helper()
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c.List(context.Background())
}

func serveFixture(t *testing.T) http.HandlerFunc {
	body := readFixture(t, "k3s.json")
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != Path {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Accept") != "application/json" {
			http.Error(w, "want Accept: application/json", http.StatusNotAcceptable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

func TestClientLists(t *testing.T) {
	s := newServer(t, serveFixture(t))
	opts := s.fastOptions()
	opts.URL = s.URL // a bare host gets the list's path
	c, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	l, ch, err := c.Resolve(context.Background(), "stable")
	if err != nil {
		t.Fatal(err)
	}
	if ch.Latest != "v1.33.5+k3s1" || l.URL != s.URL+Path {
		t.Errorf("stable = %q from %s", ch.Latest, l.URL)
	}
}

func TestClientFailures(t *testing.T) {
	fixture := readFixture(t, "k3s.json")
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		want     error
		wantHits int32
		mention  string
	}{
		{"500 is retried", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}, ErrHTTPStatus, 3, "500 Internal Server Error, 3 attempts"},
		{"404 is not retried", http.NotFound, ErrNotFound, 1, "404"},
		{"403 is not retried", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "no", http.StatusForbidden)
		}, ErrHTTPStatus, 1, "403"},
		{"slow past the timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, ErrTimeout, 0, "gave up"},
		{"slow body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(fixture[:10])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, ErrTimeout, 0, ""},
		{"truncated JSON", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write(fixture[:len(fixture)/2])
		}, ErrTruncated, 1, ""},
		{"connection cut mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			_, _ = w.Write(fixture[:100])
			w.(http.Flusher).Flush()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, ErrTruncated, 1, "mid-body"},
		{"HTML page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>Sign in to the proxy</body></html>"))
		}, ErrHTMLPage, 1, "Sign in"},
		{"over the limit, declared", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "4107")
			_, _ = w.Write([]byte(`{"data":[` + strings.Repeat(" ", 4096) + `]}`))
		}, ErrTooLarge, 1, "Content-Length"},
		{"over the limit, chunked", func(w http.ResponseWriter, r *http.Request) {
			for range 64 {
				_, _ = w.Write([]byte(strings.Repeat(" ", 100)))
				w.(http.Flusher).Flush()
			}
		}, ErrTooLarge, 1, "limit 1024 bytes"},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, ErrRedirectLoop, 1, "itself"},
		{"redirect chain", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}, ErrRedirectLoop, 5, "after 5 redirects"},
		{"redirect to plain HTTP", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://mirror.test"+Path, http.StatusFound)
		}, ErrInsecure, 1, "http://mirror.test"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, tc.handler)
			opts := s.fastOptions()
			if tc.want == ErrTooLarge {
				opts.MaxBytes = 1024
			}
			if tc.want == ErrTimeout {
				// Shorter than three attempts: the total bound, not the retries, ends the call.
				opts.Timeout = 500 * time.Millisecond
			}
			start := time.Now()
			_, err := list(t, opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("took %s: the bounds did not hold", elapsed)
			}
			if tc.wantHits > 0 && s.hits.Load() != tc.wantHits {
				t.Errorf("server saw %d requests, want %d", s.hits.Load(), tc.wantHits)
			}
			msg := err.Error()
			if !strings.Contains(msg, s.URL) || !strings.Contains(msg, tc.mention) {
				t.Errorf("error %q should name the URL and mention %q", msg, tc.mention)
			}
		})
	}
}

func TestClientRetriesThenSucceeds(t *testing.T) {
	ok := serveFixture(t)
	var n atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case 2:
			time.Sleep(400 * time.Millisecond) // past the attempt timeout
		default:
			ok(w, r)
		}
	})
	l, err := list(t, s.fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Channels) == 0 || s.hits.Load() != 3 {
		t.Errorf("got %d channels after %d requests, want 3 requests", len(l.Channels), s.hits.Load())
	}
}

func TestClientRefusesUntrustedCertificate(t *testing.T) {
	s := newServer(t, serveFixture(t))
	opts := s.fastOptions()
	opts.RootCAs = nil // the system roots do not know httptest's CA
	_, err := list(t, opts)
	if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Fatalf("got %v, want ErrTLS with a fix", err)
	}
	if s.hits.Load() != 0 {
		t.Error("a request went through an untrusted connection")
	}
}

func TestClientRefusesWrongHostname(t *testing.T) {
	s := newServer(t, serveFixture(t))
	opts := s.fastOptions()
	// httptest's certificate covers 127.0.0.1 and example.com, not localhost.
	opts.URL = strings.Replace(s.URL, "127.0.0.1", "localhost", 1) + Path
	_, err := list(t, opts)
	if !errors.Is(err, ErrTLS) {
		t.Fatalf("got %v, want ErrTLS", err)
	}
}

func TestClientPlainHTTP(t *testing.T) {
	local := httptest.NewServer(serveFixture(t))
	defer local.Close()
	if _, err := list(t, Options{URL: local.URL + Path}); err != nil {
		t.Errorf("plain HTTP to 127.0.0.1 must work for local mirrors: %v", err)
	}
	if _, err := New(Options{URL: "http://mirror.example.com" + Path}); !errors.Is(err, ErrInsecure) {
		t.Errorf("plain HTTP to another host: got %v, want ErrInsecure", err)
	}
	// A TLS client talking to a plain server gets a clear message, not a hang.
	_, err := list(t, Options{URL: strings.Replace(local.URL, "http:", "https:", 1) + Path, Retries: -1})
	if !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), "does not speak TLS") {
		t.Errorf("got %v, want ErrTLS about a plain server", err)
	}
}

func TestClientUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = list(t, Options{URL: "http://" + addr + Path, Retries: 2, Backoff: time.Millisecond})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("got %v, want ErrUnreachable naming the cause", err)
	}
}

func TestClientCancel(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c, err := New(s.fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.List(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://mirror.example":                    "https://mirror.example" + Path,
		"https://mirror.example/":                   "https://mirror.example" + Path,
		"https://mirror.example/k3s/channels":       "https://mirror.example/k3s/channels",
		"http://127.0.0.1:8080":                     "http://127.0.0.1:8080" + Path,
		"http://[::1]:8080/v1-release/channels#top": "http://[::1]:8080" + Path,
	} {
		got, err := NormalizeURL(in)
		if err != nil || got != want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "mirror.example", "ftp://mirror.example", "https://user:pw@mirror.example", "http://10.0.0.1/"} {
		if _, err := NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("error leaks the password: %v", err)
		}
	}
}
