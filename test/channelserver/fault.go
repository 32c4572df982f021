package channelserver

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Fault is how the channel endpoints misbehave; None serves normally.
type Fault string

// Faults a client must survive with a clear error, never a hang or a crash.
const (
	None Fault = ""
	// ServerError answers 500 with a short text body.
	ServerError Fault = "500"
	// Slow stalls SlowDelay before answering normally (for client timeouts).
	Slow Fault = "slow"
	// Garbage answers 200 application/json with a body that is not JSON.
	Garbage Fault = "garbage"
	// Huge answers 200 application/json with a body of HugeBytes (for body limits).
	Huge Fault = "huge"
	// HTML answers 200 with an HTML page, as a captive portal or a wrong URL does.
	HTML Fault = "html"
	// Down drops every connection without an answer, as a server that went away (or a
	// VPN that dropped) does: the client sees the connection reset or end early.
	Down Fault = "down"
)

// FaultPath switches faults over HTTP, for a server in another process (the sandbox
// CLI): POST /_fault?kind=500 (or slow, garbage, huge, html, down, none); GET shows it.
const FaultPath = "/_fault"

// ParseFault accepts the names above; "none" and "" clear the fault.
func ParseFault(s string) (Fault, error) {
	switch f := Fault(strings.ToLower(strings.TrimSpace(s))); f {
	case None, ServerError, Slow, Garbage, Huge, HTML, Down:
		return f, nil
	case "none":
		return None, nil
	}
	return None, fmt.Errorf("%w %q: use none, 500, slow, garbage, huge, html or down", errUnknownFault, s)
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost, http.MethodPut:
		f, err := ParseFault(r.URL.Query().Get("kind"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.SetFault(f)
	default:
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	s.mu.Lock()
	f := s.fault
	s.mu.Unlock()
	if f == None {
		f = "none"
	}
	fmt.Fprintln(w, f)
}

// injectFault answers the request according to the current fault and reports
// whether it did; false means serve normally (after a Slow stall).
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	f := s.fault
	s.hits++
	s.mu.Unlock()
	switch f {
	case ServerError:
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return true
	case Slow:
		t := time.NewTimer(s.opts.SlowDelay)
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
			return true
		}
	case Garbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, "{\"type\":\"collection\",\"data\":[{\"id\":\x00\xff garbage")
		return true
	case Huge:
		w.Header().Set("Content-Type", "application/json")
		writeHuge(w, s.opts.HugeBytes)
		return true
	case Down:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		// No raw connection to drop (an HTTP/2 or test recorder): end without a body.
		panic(http.ErrAbortHandler)
	case HTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Portal</body></html>\n")
		return true
	}
	return false
}

// writeHuge streams a syntactically plausible JSON start followed by padding, so a
// client that buffers without a limit reads all of it; it stops when the client goes.
func writeHuge(w io.Writer, n int64) {
	head := `{"type":"collection","resourceType":"channels","data":[{"id":"stable","latest":"`
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	chunk := []byte(strings.Repeat("v", 64<<10))
	for left := n - int64(len(head)); left > 0; left -= int64(len(chunk)) {
		if left < int64(len(chunk)) {
			chunk = chunk[:left]
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}
