package channelserver

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, fixture string, opts Options) *Server {
	t.Helper()
	opts.Fixture = "../testdata/channels/" + fixture
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       10 * time.Second,
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestFixturesHaveTheChannelsTestsRelyOn(t *testing.T) {
	for _, tc := range []struct{ fixture, stable, suffix string }{
		{"k3s.json", "v1.36.4+k3s1", "+k3s"},
		{"rke2.json", "v1.36.4+rke2r1", "+rke2r"},
	} {
		chans, err := LoadFixture("../testdata/channels/" + tc.fixture)
		if err != nil {
			t.Fatal(err)
		}
		byID := map[string]Channel{}
		for _, c := range chans {
			byID[c.ID] = c
			if c.Latest != "" && !strings.Contains(c.Latest, tc.suffix) {
				t.Errorf("%s: channel %s latest %q is not a %s release", tc.fixture, c.ID, c.Latest, tc.suffix)
			}
		}
		if byID["stable"].Latest != tc.stable {
			t.Errorf("%s: stable = %q, want %q (the skewed scenarios upgrade to it over several hops)", tc.fixture, byID["stable"].Latest, tc.stable)
		}
		if c, ok := byID["testing"]; !ok || c.Latest != "" {
			t.Errorf("%s: want a testing channel without latest, got %+v (present %v)", tc.fixture, c, ok)
		}
		for m := 27; m <= 34; m++ {
			id := "v1." + strconv.Itoa(m)
			if !strings.HasPrefix(byID[id].Latest, id+".") {
				t.Errorf("%s: channel %s latest = %q", tc.fixture, id, byID[id].Latest)
			}
		}
	}
}

func TestListAndRedirect(t *testing.T) {
	s := start(t, "k3s.json", Options{})
	resp, body := get(t, s.ListURL())
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("list: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var doc struct {
		Type, ResourceType string
		Data               []struct {
			ID, Type, Name, Latest string
			Links                  struct{ Self string }
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Type != "collection" || doc.ResourceType != "channels" || len(doc.Data) < 10 {
		t.Fatalf("unexpected list: %+v", doc)
	}
	if got, want := doc.Data[0].Links.Self, s.URL+ListPath+"/stable"; got != want {
		t.Errorf("self link = %q, want %q", got, want)
	}

	resp, _ = get(t, s.ListURL()+"/stable")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != s.URL+"/releases/tag/v1.36.4+k3s1" {
		t.Errorf("stable: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, name := range []string{"nope", "testing"} {
		if resp, _ := get(t, s.ListURL()+"/"+name); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", name, resp.StatusCode)
		}
	}
}

func TestFaults(t *testing.T) {
	s := start(t, "rke2.json", Options{SlowDelay: 300 * time.Millisecond, HugeBytes: 1 << 20})

	s.SetFault(ServerError)
	if resp, _ := get(t, s.ListURL()); resp.StatusCode != 500 {
		t.Errorf("500 fault: status %d", resp.StatusCode)
	}
	s.SetFault(Garbage)
	if _, body := get(t, s.ListURL()); json.Valid([]byte(body)) {
		t.Errorf("garbage fault served valid JSON")
	}
	s.SetFault(Huge)
	if _, body := get(t, s.ListURL()); len(body) != 1<<20 {
		t.Errorf("huge fault: %d bytes, want %d", len(body), 1<<20)
	}
	s.SetFault(HTML)
	if resp, _ := get(t, s.ListURL()); !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("html fault: %s", resp.Header.Get("Content-Type"))
	}

	// Slow through the HTTP switch, as the sandbox CLI's users do it.
	if resp, err := http.Post(s.URL+FaultPath+"?kind=slow", "text/plain", nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("switch fault: %v %v", resp, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.ListURL(), nil)
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Errorf("slow fault answered within 100ms")
	}
	start := time.Now()
	if resp, _ := get(t, s.ListURL()); resp.StatusCode != 200 || time.Since(start) < 300*time.Millisecond {
		t.Errorf("slow fault: %d after %v", resp.StatusCode, time.Since(start))
	}

	if resp, err := http.Post(s.URL+FaultPath+"?kind=bogus", "text/plain", nil); err != nil || resp.StatusCode != 400 {
		t.Errorf("bogus fault: %v %v", resp, err)
	}
	s.SetFault(Down)
	if resp, err := noRedirect.Get(s.ListURL()); err == nil {
		resp.Body.Close()
		t.Errorf("down fault answered %d", resp.StatusCode)
	}
	s.SetFault(None)
	if resp, _ := get(t, s.ListURL()); resp.StatusCode != 200 {
		t.Errorf("no fault: %d", resp.StatusCode)
	}
	if s.Hits() < 8 {
		t.Errorf("hits = %d", s.Hits())
	}
}

func TestSetLatestMovesAChannelAndRestores(t *testing.T) {
	s := start(t, "k3s.json", Options{})
	restore := s.SetLatest("v1.31", "v1.31.14+k3s1")
	if resp, _ := get(t, s.ListURL()+"/v1.31"); resp.Header.Get("Location") != s.URL+"/releases/tag/v1.31.14+k3s1" {
		t.Errorf("moved channel: Location %q", resp.Header.Get("Location"))
	}
	if _, body := get(t, s.ListURL()); !strings.Contains(body, `"latest":"v1.31.14+k3s1"`) {
		t.Errorf("the list does not show the moved channel")
	}
	restore()
	if resp, _ := get(t, s.ListURL()+"/v1.31"); strings.Contains(resp.Header.Get("Location"), "v1.31.14") {
		t.Errorf("restore did not put the fixture's answer back: %q", resp.Header.Get("Location"))
	}
}
