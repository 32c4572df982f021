package cmdutil

import (
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// ShareFirstConnection makes the requests that a fresh client sends at once share one
// connection. net/http dials one connection per request waiting while none is open,
// and HTTP/2 keeps only one of them: the three reads a check starts together would
// cost three TLS handshakes, for the client and the apiserver alike. The first request
// goes ahead; the others wait until it has its connection (or has failed), then ride
// on it. Over HTTP/1.1 they then dial their own, one handshake later.
func ShareFirstConnection(cfg *rest.Config) {
	gate := &firstConn{ready: make(chan struct{})}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return &firstConnRoundTripper{gate: gate, next: rt}
	})
}

// firstConn is shared by every round tripper built from one config (and its copies).
type firstConn struct {
	started atomic.Bool
	once    sync.Once
	ready   chan struct{}
}

func (g *firstConn) open() { g.once.Do(func() { close(g.ready) }) }

type firstConnRoundTripper struct {
	gate *firstConn
	next http.RoundTripper
}

func (t *firstConnRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	g := t.gate
	if g.started.CompareAndSwap(false, true) {
		trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { g.open() }}
		resp, err := t.next.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
		g.open()
		return resp, err
	}
	select {
	case <-g.ready:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return t.next.RoundTrip(req)
}

// WrappedRoundTripper lets client-go's debugging see through the wrapper.
func (t *firstConnRoundTripper) WrappedRoundTripper() http.RoundTripper { return t.next }
