package channel

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

const testURL = "https://mirror.test/v1-release/channels"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeUpstreamShape(t *testing.T) {
	list, err := Decode(testURL, "application/json", readFixture(t, "k3s.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Channels) != 12 {
		t.Fatalf("got %d channels, want 12", len(list.Channels))
	}
	stable, err := list.Resolve(Default)
	if err != nil {
		t.Fatal(err)
	}
	if stable.String() != "v1.33.5+k3s1" || stable.Distro != version.K3s {
		t.Errorf("stable = %s (%s), want v1.33.5+k3s1 (k3s)", stable, stable.Distro)
	}
	v31, err := list.ForMinor(version.MinorVersion{Major: 1, Minor: 31})
	if err != nil || v31.String() != "v1.31.13+k3s1" {
		t.Errorf("ForMinor(v1.31) = %s, %v", v31, err)
	}
	if _, err := list.Resolve("testing"); !errors.Is(err, ErrNoLatest) {
		t.Errorf("testing: got %v, want ErrNoLatest", err)
	}
	if _, err := list.Resolve("v1.99"); !errors.Is(err, ErrUnknownChannel) || !strings.Contains(err.Error(), "stable") {
		t.Errorf("v1.99: got %v, want ErrUnknownChannel naming the channels there are", err)
	}
	if !list.Contains(version.MustParse("v1.30.14+k3s2")) || list.Contains(version.MustParse("v1.30.14+k3s1")) {
		t.Error("Contains must compare the K3s revision")
	}
}

func TestDecodeFailures(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		want                    error
		mention                 string
	}{
		{"html by content type", "text/html; charset=utf-8", `{"data":[]}`, ErrHTMLPage, ""},
		{"html by body", "application/json", "\n  <!DOCTYPE html><html><title>Login</title>", ErrHTMLPage, "DOCTYPE"},
		{"garbage", "", "hello world", ErrNotJSON, "hello world"},
		{"empty", "application/json", "  \n", ErrNotJSON, "empty body"},
		{"truncated", "application/json", `{"type":"collection","data":[{"name":"stable","lat`, ErrTruncated, ""},
		{"trailing garbage", "", `{"data":[]} x`, ErrNotJSON, ""},
		{"array", "", `[{"name":"stable"}]`, ErrMalformed, "array"},
		{"no data", "", `{"type":"collection","resourceType":"channels"}`, ErrNoData, ""},
		{"null data", "", `{"data":null}`, ErrNoData, ""},
		{"data not a list", "", `{"data":{"stable":"v1.33.5+k3s1"}}`, ErrMalformed, "data is a JSON object, want a list"},
		{"latest not a string", "", `{"data":[{"name":"stable","latest":1.33}]}`, ErrMalformed, "data.latest is a JSON number, want a string"},
		{"releases, not channels", "", `{"resourceType":"releases","data":[]}`, ErrMalformed, "releases"},
		{"nameless channel", "", `{"data":[{"latest":"v1.33.5+k3s1"}]}`, ErrMalformed, "#1 has no name"},
		{"twice", "", `{"data":[{"name":"stable"},{"id":"stable"}]}`, ErrMalformed, "twice"},
		{"control in name", "", `{"data":[{"name":"sta\u001bble"}]}`, ErrMalformed, "unprintable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			list, err := Decode(testURL, tc.contentType, []byte(tc.body))
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (list %v), want %v", err, list, tc.want)
			}
			if !strings.Contains(err.Error(), testURL) {
				t.Errorf("error %q does not name the URL", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not mention %q", err, tc.mention)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q spans lines", err)
			}
		})
	}
}

func TestDecodeTolerates(t *testing.T) {
	// A mirror may serve the bare collection without links and with a BOM; a channel
	// that names a non-version is kept and fails only when someone resolves it.
	body := "\xef\xbb\xbf" + `{"data":[{"id":"stable","latest":"v1.33.5+rke2r1"},{"name":"odd","latest":"banana"},{"name":"testing"}]}`
	list, err := Decode(testURL, "", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := list.Resolve("stable"); err != nil || v.Distro != version.RKE2 {
		t.Errorf("stable = %v, %v", v, err)
	}
	if _, err := list.Resolve("odd"); !errors.Is(err, ErrBadLatest) {
		t.Errorf("odd: got %v, want ErrBadLatest", err)
	}
}

func TestForMinorRefusesAnotherMinor(t *testing.T) {
	list, err := Decode(testURL, "", []byte(`{"data":[{"name":"v1.31","latest":"v1.32.1+k3s1"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := list.ForMinor(version.MinorVersion{Major: 1, Minor: 31}); !errors.Is(err, ErrBadLatest) {
		t.Errorf("got %v, want ErrBadLatest", err)
	}
}

func FuzzDecodeChannels(f *testing.F) {
	f.Add("application/json", readFixture(f, "k3s.json"))
	for _, s := range []string{
		`{"data":[]}`, `{"data":null}`, `{}`, `[]`, `<html>`, `{"data":[{"name":"stable","latest":"v1.33.5+k3s1"}]}`,
		`{"data":[{"name":"x","latest":"v1.2.3-rc1+k3s9"},{"id":"y","latest":""}]}`, `{"data":[{"latest":1}]}`,
		`{"data":[{"name":"` + strings.Repeat("a", 100) + `"}]}`, "\xef\xbb\xbf{\"data\":[]}", `{"data":[{"name":"\u0000"}]}`,
		`{"data":[{"name":"stable","latest":"v1.33.5+k3s1\u001b[2J"},{"name":"latest","latest":"$(touch /tmp/pwned)\nstable v9.9.9"}]}`,
	} {
		f.Add("", []byte(s))
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		list, err := Decode(testURL, contentType, body)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind == nil {
				t.Fatalf("error %v is not a *Error with a Kind", err)
			}
			if list != nil {
				t.Fatal("a list returned with an error")
			}
			return
		}
		seen := map[string]bool{}
		for _, c := range list.Channels {
			if c.Name == "" || seen[c.Name] {
				t.Fatalf("empty or repeated name %q", c.Name)
			}
			seen[c.Name] = true
			if strings.ContainsFunc(c.Latest, isControl) || len(c.Latest) > 200 {
				t.Fatalf("channel %q: latest %q is not short and printable", c.Name, c.Latest)
			}
			if (c.Version != nil) == (c.LatestError != "") && c.Latest != "" {
				t.Fatalf("channel %q: version %v and error %q", c.Name, c.Version, c.LatestError)
			}
			// Resolving anything listed must not panic, whatever it says.
			_, _ = list.Resolve(c.Name)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	body := readFixture(b, "k3s.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(testURL, "application/json", body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHostileLatest: a latest that is not a version (a terminal escape, a line
// break, shell text, a huge value) is kept short and printable for the table, and
// resolving the channel is one line naming the channel, the server and the value;
// no other channel's latest is affected.
func TestHostileLatest(t *testing.T) {
	body := `{"data":[{"name":"v1.33","latest":"v1.33.5+k3s1"},` +
		`{"name":"stable","latest":"v1.33.5+k3s1\u001b[2J"},` +
		`{"name":"latest","latest":"$(touch /tmp/pwned)\nv9.9.9+k3s1"},` +
		`{"name":"testing","latest":"` + strings.Repeat("9", 5000) + `"}]}`
	list, err := Decode(testURL, "application/json", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"stable", "latest", "testing"} {
		c, _ := list.Get(name)
		if strings.ContainsFunc(c.Latest, isControl) || len(c.Latest) > 70 || c.Version != nil {
			t.Errorf("%s: latest %q, version %v", name, c.Latest, c.Version)
		}
		_, err := list.Resolve(name)
		msg := ""
		if err != nil {
			msg = err.Error()
		}
		if !errors.Is(err, ErrBadLatest) || strings.ContainsAny(msg, "\n\r\x1b") || !strings.Contains(msg, `"`+name+`"`) || !strings.Contains(msg, testURL) || len(msg) > 400 {
			t.Errorf("%s: got %q, want one line of ErrBadLatest naming the channel and the server", name, msg)
		}
	}
	if v, err := list.Resolve("v1.33"); err != nil || v.String() != "v1.33.5+k3s1" {
		t.Errorf("v1.33 = %v, %v", v, err)
	}
	if list.Contains(version.MustParse("v9.9.9+k3s1")) {
		t.Error("a release inside an unparsable latest counts as listed")
	}
}
