// Command manifest renders .krew.yaml for the archives that "make dist" left in dist/, the same
// way krew-release-bot renders it for the central index, and writes the manifest of the
// project's own krew index (plugins/skew.yaml). With -published it renders again for the
// release that manifest already describes, keeping its sha256s: for text edits between releases.
//
//	go run ./hack/krew/manifest -template .krew.yaml -dist dist -o plugins/skew.yaml
//	go run ./hack/krew/manifest -template .krew.yaml -published plugins/skew.yaml -o plugins/skew.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/hack/krew"
)

func main() {
	tmpl := flag.String("template", ".krew.yaml", "krew-release-bot template")
	dist := flag.String("dist", "dist", "directory holding the archives and checksums.txt")
	published := flag.String("published", "", "take version and sha256s from this manifest instead of -dist")
	out := flag.String("o", "plugins/skew.yaml", "manifest to write")
	flag.Parse()
	if err := run(*tmpl, *dist, *published, *out); err != nil {
		fmt.Fprintln(os.Stderr, "krew-manifest:", err)
		os.Exit(1)
	}
}

func run(tmplPath, distDir, published, out string) error {
	tag, sha, err := sums(distDir, published)
	if err != nil {
		return err
	}
	tmpl, err := os.ReadFile(tmplPath)
	if err != nil {
		return fmt.Errorf("read template: %w", err)
	}
	m, err := krew.Render(tmpl, tag, sha)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, m, 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	fmt.Fprintf(os.Stderr, "krew-manifest: %s for %s\n", out, tag)
	return nil
}

func sums(distDir, published string) (string, krew.SHA256Func, error) {
	if published != "" {
		data, err := os.ReadFile(published)
		if err != nil {
			return "", nil, err
		}
		return krew.Published(data)
	}
	d, err := krew.ReadDist(distDir)
	if err != nil {
		return "", nil, err
	}
	// Users of the index download the release archives; a dirty tree's archives exist nowhere
	// else and could never be rebuilt to match.
	if strings.HasSuffix(d.Tag, "-dirty") {
		return "", nil, fmt.Errorf("dist/ holds %s, built from uncommitted changes: commit (and tag) first, then make dist", d.Tag)
	}
	return d.Tag, d.SHA256, nil
}
