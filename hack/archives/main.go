// Command dist builds the release archives of kubectl-skew: one per platform, each holding the
// binary, the kubectl completion helper, LICENSE and README.md, plus a checksums.txt in
// sha256sum format. "make dist" is its only caller, so the release workflow and a developer's
// machine produce the same bytes from the same commit.
//
//	go run ./hack/archives -version v0.1.0 -ldflags '-s -w -X ...' -date 2025-01-02T03:04:05Z -out dist
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/hack/krew"
)

// defaultPlatforms are the os/arch pairs krew users ask for most; windows gets a zip.
const defaultPlatforms = "linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64"

func main() {
	var o options
	flag.StringVar(&o.version, "version", "", "release version, v-prefixed semver (names the archives)")
	flag.StringVar(&o.ldflags, "ldflags", "", "linker flags, the same as 'make build' uses")
	flag.StringVar(&o.date, "date", "", "commit time (RFC 3339) stamped on every archive entry; empty means 1980-01-01")
	flag.StringVar(&o.out, "out", "dist", "output directory")
	flag.StringVar(&o.platforms, "platforms", defaultPlatforms, "space-separated os/arch pairs")
	flag.StringVar(&o.pkg, "pkg", "./cmd/kubectl-skew", "main package to build")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

type options struct {
	version, ldflags, date, out, platforms, pkg string
}

func run(o options) error {
	if o.version == "" || strings.ContainsAny(o.version, "/\\ ") {
		return fmt.Errorf("-version %q: need a version usable in a file name, e.g. v0.1.0", o.version)
	}
	mtime, err := entryTime(o.date)
	if err != nil {
		return err
	}
	platforms, err := parsePlatforms(o.platforms)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", o.out, err)
	}
	// Only our own outputs go, so a stray -out never wipes anything else.
	if err := removeOldArchives(o.out); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "kubectl-skew-dist-")
	if err != nil {
		return fmt.Errorf("create build dir: %w", err)
	}
	defer os.RemoveAll(work)

	var names []string
	for _, p := range platforms {
		bin := filepath.Join(work, p.os+"_"+p.arch, p.binName())
		if err := build(o.pkg, bin, o.ldflags, p); err != nil {
			return err
		}
		name := p.archiveName(o.version)
		if err := writeArchive(filepath.Join(o.out, name), p, bin, mtime); err != nil {
			return fmt.Errorf("archive %s: %w", name, err)
		}
		fmt.Fprintf(os.Stderr, "dist: %s\n", filepath.Join(o.out, name))
		names = append(names, name)
	}
	return writeChecksums(o.out, names)
}

// entryTime is the modification time of every archive entry. The commit time keeps the
// archives reproducible per commit while showing users a meaningful date.
func entryTime(date string) (time.Time, error) {
	if date == "" || date == "unknown" {
		// The zip format cannot go earlier than this.
		return time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse(time.RFC3339, date)
	if err != nil {
		return time.Time{}, fmt.Errorf("-date %q: %w", date, err)
	}
	return t.UTC(), nil
}

func removeOldArchives(dir string) error {
	old, err := filepath.Glob(filepath.Join(dir, archivePrefix+"*"))
	if err != nil {
		return fmt.Errorf("list old archives: %w", err)
	}
	for _, f := range append(old, filepath.Join(dir, krew.ChecksumsFile)) {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("remove old output: %w", err)
		}
	}
	return nil
}
