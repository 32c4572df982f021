package nodesim

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// apiserverGone is how long a simulated kubelet keeps trying while the apiserver
// is away (restarting): a real kubelet retries for ever; the simulator gives up
// after this, so a test still ends.
const apiserverGone = 90 * time.Second

// patient retries a request the apiserver could not take because it was not
// there: the connection refused, a TLS handshake that timed out (a starting
// apiserver accepts before it serves), or a 503 while it starts. A request that was
// refused at connect or handshake never reached it, and a 503 from a starting apiserver is
// answered before anything is stored, so the retry cannot write twice. Every other
// answer and error goes back as it came.
type patient struct{ next http.RoundTripper }

func (p patient) RoundTrip(r *http.Request) (*http.Response, error) {
	deadline := time.Now().Add(apiserverGone)
	for {
		resp, err := p.next.RoundTrip(r)
		gone := errors.Is(err, syscall.ECONNREFUSED) || err != nil && strings.Contains(err.Error(), "TLS handshake timeout") ||
			err == nil && resp.StatusCode == http.StatusServiceUnavailable
		if !gone || time.Now().After(deadline) || r.Context().Err() != nil || r.Body != nil && r.GetBody == nil {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
		if r.Body != nil {
			body, gerr := r.GetBody()
			if gerr != nil {
				return nil, gerr
			}
			r = r.Clone(r.Context())
			r.Body = body
		}
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
