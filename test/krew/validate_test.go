package krew_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidateKrewManifest runs krew's own validator, the check krew-index runs on every pull
// request. The committed manifest gets the structural checks (its archives live on GitHub);
// the manifest rendered for dist/ gets the full run, in which krew installs every platform's
// archive from a local server (KREW_OS/KREW_ARCH) and looks for the license: all six for a
// release, the sample make test builds otherwise.
func TestValidateKrewManifest(t *testing.T) {
	skipShort(t)
	validator := requireTool(t, "validate-krew-manifest")
	d := requireDist(t)
	e := newKrewEnv(t)

	committed, _ := filepath.Abs(repoPath(indexManifest))
	if out, err := e.exec(validator, "-manifest", committed, "-skip-install"); err != nil {
		t.Fatalf("%s: %v\n%s", indexManifest, err, out)
	}

	local := serveArchives(t, distFiles(d))
	rendered := onlyArchivesOf(t, render(t, d.Tag, sampleSHA256(d)), d)
	manifest := writeFile(t, filepath.Join(t.TempDir(), "skew.yaml"), local(rendered))
	out, err := e.exec(validator, "-manifest", manifest)
	if err != nil {
		t.Fatalf("%s rendered for %s: %v\n%s", templateFile, d.Tag, err, out)
	}
	if want := fmt.Sprintf("all %d spec.platforms installed fine", len(d.Platforms())); !strings.Contains(out, want) {
		t.Fatalf("validate-krew-manifest did not report %q:\n%s", want, out)
	}
}

// TestDistIsReproducible builds the release again and expects the very same bytes: what users
// download can be rebuilt from the tagged commit and checked against checksums.txt.
func TestDistIsReproducible(t *testing.T) {
	skipShort(t)
	d := requireDist(t)
	dir := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "-C", root, "dist", "VERSION="+d.Tag, "DIST="+dir,
		"PLATFORMS="+strings.Join(d.Platforms(), " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist again: %v\n%s", err, out)
	}
	first, err := os.ReadFile(filepath.Join(d.Dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) {
		t.Fatalf("two builds of the same tree differ (or dist/ is stale: run make dist):\nfirst:\n%s\nsecond:\n%s", first, second)
	}
}
