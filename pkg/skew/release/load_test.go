package release

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// oneLine fails when a message spans lines or does not say each of want.
func oneLine(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", want)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") {
		t.Errorf("message spans lines: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q does not say %q", msg, w)
		}
	}
}

func noFetch(t *testing.T) Fetcher {
	return func(context.Context, string, int64) ([]byte, error) {
		t.Error("a file or the embedded data was fetched as a URL")
		return nil, errors.New("no")
	}
}

func TestLoadEmbedded(t *testing.T) {
	for _, spec := range []string{"", "  ", "\n"} {
		x, err := Load(context.Background(), spec, noFetch(t))
		if err != nil || x != Embedded() {
			t.Errorf("Load(%q) = %p, %v; want the embedded index %p", spec, x, err, Embedded())
		}
	}
}

func TestLoadFile(t *testing.T) {
	path := writeTemp(t, "releases.json", testFile(t, testRow()))
	x, err := Load(context.Background(), " "+path+" ", noFetch(t))
	if err != nil {
		t.Fatal(err)
	}
	if x == Embedded() || x.Origin != path {
		t.Errorf("origin %q, want %q", x.Origin, path)
	}
	if r, ok := x.Lookup(version.MustParse("v1.33.7+k3s1")); !ok || r.Components[Etcd] != "v3.5.25-k3s1" {
		t.Errorf("Lookup: %v, %v", r, ok)
	}
	if _, ok := x.Lookup(version.MustParse("v1.33.7+k3s3")); ok {
		t.Error("the loaded data knows a release the file does not list: it was merged with the embedded data")
	}
	if got := x.Unknown(version.MustParse("v1.34.1+k3s1")); !strings.Contains(got, "("+path+", newest v1.33.7+k3s1 of 2025-12-19)") {
		t.Errorf("Unknown does not name the file: %s", got)
	}
}

func TestLoadFileFailures(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.json")
	_, err := Load(context.Background(), missing, noFetch(t))
	oneLine(t, err, "release data "+missing+": no such file; give a path or an https URL")

	_, err = Load(context.Background(), dir, noFetch(t))
	oneLine(t, err, "release data "+dir+": is a directory; give the JSON file")

	// A sparse file one byte over the limit: read up to the limit, never whole.
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Load(context.Background(), huge, noFetch(t))
	oneLine(t, err, "release data "+huge+":", "larger than the limit of 16777216 bytes")
	if !errors.Is(err, ErrBadData) {
		t.Errorf("%v is not ErrBadData", err)
	}

	bad := writeTemp(t, "bad.json", withRow(t, func(r map[string]any) { components(r)[Kubernetes] = "v1.33.6" }))
	_, err = Load(context.Background(), bad, noFetch(t))
	oneLine(t, err, "release data "+bad+": bad release data: releases[0]: v1.33.7+k3s1: its kubernetes component v1.33.6 contradicts the release",
		"regenerate it with make release-data", "drop --release-data (and "+EnvVar+")", "embedded table")
	if !errors.Is(err, ErrBadData) {
		t.Errorf("%v is not ErrBadData", err)
	}

	empty := writeTemp(t, "empty.json", nil)
	_, err = Load(context.Background(), empty, noFetch(t))
	oneLine(t, err, "release data "+empty+": bad release data: empty", "make release-data")

	if os.Getuid() != 0 {
		unreadable := writeTemp(t, "secret.json", testFile(t, testRow()))
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		_, err = Load(context.Background(), unreadable, noFetch(t))
		oneLine(t, err, "release data "+unreadable, "permission denied")
	}
}

func TestLoadURL(t *testing.T) {
	type ctxKey struct{}
	ctx := context.WithValue(context.Background(), ctxKey{}, "mine")
	const url = "https://example.com/releases.json"
	var gotURL string
	var gotMax int64
	fetch := func(data []byte, err error) Fetcher {
		return func(c context.Context, u string, max int64) ([]byte, error) {
			if c.Value(ctxKey{}) != "mine" {
				t.Error("the fetcher did not get the caller's context")
			}
			gotURL, gotMax = u, max
			return data, err
		}
	}

	x, err := Load(ctx, url, fetch(testFile(t, testRow()), nil))
	if err != nil {
		t.Fatal(err)
	}
	if gotURL != url || gotMax != MaxBytes {
		t.Errorf("fetched %q with limit %d, want %q and %d", gotURL, gotMax, url, MaxBytes)
	}
	if x.Origin != url {
		t.Errorf("origin %q", x.Origin)
	}
	if _, ok := x.Lookup(version.MustParse("v1.33.7+k3s1")); !ok {
		t.Error("the fetched release is not in the index")
	}

	// Plain HTTP goes to the fetcher too, which decides (the channel client takes it for
	// localhost only); it is never read as a file.
	if _, err := Load(ctx, "http://127.0.0.1:8080/r.json", fetch(testFile(t, testRow()), nil)); err != nil || gotURL != "http://127.0.0.1:8080/r.json" {
		t.Errorf("http URL: fetched %q, %v", gotURL, err)
	}

	// The fetcher's errors already name the URL and the fix: returned as they are.
	refused := errors.New("read release data https://example.com/releases.json: 404 Not Found")
	_, err = Load(ctx, url, fetch(nil, refused))
	if err != refused {
		t.Errorf("fetch error came back as %v", err)
	}

	_, err = Load(ctx, url, fetch([]byte("<html>not found</html>"), nil))
	oneLine(t, err, "release data "+url+": bad release data: not JSON", "make release-data", "--release-data")
	if !errors.Is(err, ErrBadData) {
		t.Errorf("%v is not ErrBadData", err)
	}

	_, err = Load(ctx, url, nil)
	oneLine(t, err, "release data "+url+": reading URLs is not available here; download it and give the file")
}
