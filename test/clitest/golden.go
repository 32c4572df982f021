package clitest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// Golden compares got with testdata/<name> in the test's package directory, or
// rewrites that file under -update.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./%s -update to create it): %v", packageDir(), err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output (run go test ./%s -update after checking the change):\n--- want\n%s\n--- got\n%s", path, packageDir(), want, got)
	}
}

// packageDir is the test's package directory relative to the module root, for messages.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "pkg/plugin/..."
	}
	root, err := ModuleRoot()
	if err != nil {
		return "pkg/plugin/..."
	}
	rel, err := filepath.Rel(root, wd)
	if err != nil {
		return "pkg/plugin/..."
	}
	return filepath.ToSlash(rel)
}

// ModuleRoot is the directory of go.mod above the working directory (a test runs in
// its package's directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
