// Package channelserver is a local stand-in for the release-channel servers behind
// update.k3s.io and update.rke2.io (docs/domain.md), served from fixture files so that
// tests and the demo never need the network, with faults that tests can switch on.
package channelserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// ListPath is where the channel list is served; a channel is ListPath + "/<name>".
const ListPath = "/v1-release/channels"

// Options configure one server. One server serves one distribution, as upstream does.
type Options struct {
	// Fixture is a JSON file in the channel server's own list format.
	Fixture string
	// Addr to listen on; default 127.0.0.1:0 (a free loopback port).
	Addr string
	// ReleasesURL is the prefix of the 302 Location ("<ReleasesURL>/tag/<version>").
	// Default: this server's own /releases, which answers 200, so a client that follows
	// the redirect stays offline.
	ReleasesURL string
	// SlowDelay is how long FaultSlow stalls a response; default 5s.
	SlowDelay time.Duration
	// HugeBytes is the body size of FaultHuge; default 64 MiB.
	HugeBytes int64
}

// Server is a running channel server.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:34567; the list is URL + ListPath.
	URL string

	opts     Options
	channels []Channel
	srv      *http.Server
	ln       net.Listener

	mu    sync.Mutex
	fault Fault
	hits  int
}

// Start loads the fixture and serves it until Close.
func Start(opts Options) (*Server, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("channel server: listen on %s: %w", addr, err)
	}
	s.ln = ln
	s.URL = "http://" + ln.Addr().String()
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// New loads the fixture without listening; use the Server as an http.Handler
// (e.g. with httptest.NewServer).
func New(opts Options) (*Server, error) {
	if opts.SlowDelay <= 0 {
		opts.SlowDelay = 5 * time.Second
	}
	if opts.HugeBytes <= 0 {
		opts.HugeBytes = 64 << 20
	}
	channels, err := LoadFixture(opts.Fixture)
	if err != nil {
		return nil, err
	}
	return &Server{opts: opts, channels: channels}, nil
}

// Close stops the server; requests in flight (a slow or huge response) are cut.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		return s.srv.Close()
	}
	return nil
}

// ListURL is the full URL of the channel list.
func (s *Server) ListURL() string { return s.URL + ListPath }

// SetFault switches how the channel endpoints answer from now on.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault = f
}

// Hits counts requests to the channel endpoints, so tests can assert caching or retries.
func (s *Server) Hits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits
}

// Channels returns the channels served now.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Channel(nil), s.channels...)
}

// SetLatest makes channel id answer latest from now on, as the real server does when
// its maintainers move a channel (a new patch, or stable moving on), and returns a
// function that puts the fixture's answer back. An id the fixture lacks is added.
func (s *Server) SetLatest(id, latest string) (restore func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := append([]Channel(nil), s.channels...)
	next := append([]Channel(nil), s.channels...)
	found := false
	for i := range next {
		if next[i].ID == id {
			next[i].Latest, found = latest, true
		}
	}
	if !found {
		next = append(next, Channel{ID: id, Latest: latest})
	}
	s.channels = next
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.channels = before
	}
}

// Channel is one entry of the list. Latest is empty for a channel with no release
// (upstream's "testing" often has none).
type Channel struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Latest        string `json:"latest,omitempty"`
	LatestRegexp  string `json:"latestRegexp,omitempty"`
	ExcludeRegexp string `json:"excludeRegexp,omitempty"`
}

// LoadFixture reads a channel list in the server's own format.
func LoadFixture(path string) ([]Channel, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("channel server: read fixture: %w", err)
	}
	var doc struct {
		Type string    `json:"type"`
		Data []Channel `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("channel server: parse fixture %s: %w", path, err)
	}
	if doc.Type != "collection" || len(doc.Data) == 0 {
		return nil, fmt.Errorf("channel server: fixture %s is not a non-empty channel collection", path)
	}
	for i, c := range doc.Data {
		if c.ID == "" {
			return nil, fmt.Errorf("channel server: fixture %s: channel %d has no id", path, i)
		}
	}
	return doc.Data, nil
}

// ServeHTTP routes the list, one channel, the fault switch and the release pages.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == FaultPath:
		s.serveFault(w, r)
	case strings.HasPrefix(path, "/releases/tag/"):
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "release %s\n", strings.TrimPrefix(path, "/releases/tag/"))
	case path == ListPath || path == ListPath+"/":
		if s.injectFault(w, r) {
			return
		}
		s.serveList(w, r)
	case strings.HasPrefix(path, ListPath+"/"):
		if s.injectFault(w, r) {
			return
		}
		s.serveChannel(w, r, strings.TrimPrefix(path, ListPath+"/"))
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) serveList(w http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	type links struct {
		Self string `json:"self"`
	}
	type entry struct {
		ID            string `json:"id"`
		Type          string `json:"type"`
		Name          string `json:"name"`
		Latest        string `json:"latest,omitempty"`
		Links         links  `json:"links"`
		LatestRegexp  string `json:"latestRegexp,omitempty"`
		ExcludeRegexp string `json:"excludeRegexp,omitempty"`
	}
	channels := s.Channels()
	data := make([]entry, 0, len(channels))
	for _, c := range channels {
		name := c.Name
		if name == "" {
			name = c.ID
		}
		data = append(data, entry{
			ID: c.ID, Type: "channel", Name: name, Latest: c.Latest,
			Links:        links{Self: base + ListPath + "/" + c.ID},
			LatestRegexp: c.LatestRegexp, ExcludeRegexp: c.ExcludeRegexp,
		})
	}
	body := struct {
		Type         string            `json:"type"`
		ResourceType string            `json:"resourceType"`
		Links        links             `json:"links"`
		Actions      map[string]string `json:"actions"`
		Data         []entry           `json:"data"`
	}{"collection", "channels", links{Self: base + ListPath}, map[string]string{}, data}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func (s *Server) serveChannel(w http.ResponseWriter, r *http.Request, name string) {
	for _, c := range s.Channels() {
		if c.ID != name {
			continue
		}
		if c.Latest == "" {
			http.Error(w, fmt.Sprintf("channel %s has no release", name), http.StatusNotFound)
			return
		}
		releases := s.opts.ReleasesURL
		if releases == "" {
			releases = baseURL(r) + "/releases"
		}
		http.Redirect(w, r, strings.TrimSuffix(releases, "/")+"/tag/"+c.Latest, http.StatusFound)
		return
	}
	http.Error(w, fmt.Sprintf("channel %s not found", name), http.StatusNotFound)
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// errUnknownFault is returned for a fault name the server does not know.
var errUnknownFault = errors.New("unknown fault")
