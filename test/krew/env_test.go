// Package krew_test checks the release artifacts the way users meet them: the archives of
// "make dist", the two krew manifests, and the real krew installing, upgrading and removing
// the plugin into a throwaway KREW_ROOT, run through kubectl's plugin discovery.
package krew_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/hack/krew"
)

// root is the repository root; go test runs in the package directory.
var root = filepath.Join("..", "..")

const (
	templateFile  = ".krew.yaml"
	indexManifest = "plugins/skew.yaml"
)

func repoPath(p string) string { return filepath.Join(root, filepath.FromSlash(p)) }

// requireDist returns the archives of the last "make dist", failing when there are none:
// these tests are about exactly those bytes, so they never build their own.
func requireDist(t *testing.T) *krew.Dist {
	t.Helper()
	dir, err := filepath.Abs(repoPath("dist"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := krew.ReadDist(dir)
	if err != nil {
		t.Fatalf("%v\nrun make dist (make test does it first)", err)
	}
	return d
}

// requireTool finds a pinned tool in .cache/bin. Missing tools fail the test rather than skip
// it, or a CI without them would pass while testing nothing.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(repoPath(".cache/bin/" + name))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing (%v): run make tools", name, err)
	}
	return p
}

// requireKubectl prefers the pinned kubectl of make tools and falls back to the one on PATH.
func requireKubectl(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs(repoPath(".cache/bin/kubectl")); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("no kubectl in .cache/bin or on PATH: run make tools")
	}
	return p
}

func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs make dist and make tools; runs without -short")
	}
}

// hostArchive is the archive krew would pick on this machine.
func hostArchive(d *krew.Dist) string {
	ext := ".tar.gz"
	if runtime.GOOS == "windows" {
		ext = ".zip"
	}
	return filepath.Join(d.Dir, "kubectl-skew_"+d.Tag+"_"+runtime.GOOS+"_"+runtime.GOARCH+ext)
}
