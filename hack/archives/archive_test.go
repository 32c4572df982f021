package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Two archives of the same files are the same bytes even when the files' own times, owners
// and permissions on disk differ: only the entry list and the given mtime count.
func TestArchivesAreReproducible(t *testing.T) {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, p := range []platform{{"linux", "amd64"}, {"windows", "arm64"}} {
		a := pack(t, p, mtime, 0o600, time.Unix(1, 0))
		b := pack(t, p, mtime, 0o755, time.Now())
		if !bytes.Equal(a, b) {
			t.Errorf("%s/%s: two archives of the same content differ", p.os, p.arch)
		}
	}
}

func TestArchiveEntries(t *testing.T) {
	mtime := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	gz, err := gzip.NewReader(bytes.NewReader(pack(t, platform{"linux", "amd64"}, mtime, 0o600, time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Errorf("gzip header carries name %q and time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(mtime) {
			t.Errorf("%s: owner %d/%d %q/%q, mtime %v", h.Name, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
		}
	}
	want := []string{"kubectl-skew", "kubectl_complete-skew", "LICENSE", "README.md"}
	if len(names) != len(want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("entries %v, want %v", names, want)
		}
	}

	raw := pack(t, platform{"windows", "amd64"}, mtime, 0o600, time.Now())
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "kubectl-skew.exe" && f.Mode().Perm() != 0o755 {
			t.Errorf("%s: mode %v", f.Name, f.Mode())
		}
	}
	if len(zr.File) != 4 || zr.File[1].Name != "kubectl_complete-skew.cmd" {
		t.Errorf("zip entries start %v", zr.File[:2])
	}
}

// pack archives fake sources whose on-disk mode and times are set to perm and ftime.
func pack(t *testing.T, p platform, mtime time.Time, perm os.FileMode, ftime time.Time) []byte {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, p.binName())
	files := []string{bin}
	for _, e := range p.entries(bin)[1:] {
		files = append(files, filepath.Join(dir, e.src))
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte("content of "+filepath.Base(f)), perm); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, ftime, ftime); err != nil {
			t.Fatal(err)
		}
	}
	// entries() names repository paths; the test runs them from its temp dir.
	t.Chdir(dir)
	out := filepath.Join(dir, "out", p.archiveName("v1.0.0"))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := writeArchive(out, p, bin, mtime); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
