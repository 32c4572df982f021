package permissions

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite deploy/rbac and docs/permissions.md")

var root = filepath.Join("..", "..", "..")

// TestPermissionFilesAreCurrent fails when deploy/rbac or docs/permissions.md differs
// from the permission table: run make docs (or this test with -update) and commit.
func TestPermissionFilesAreCurrent(t *testing.T) {
	if *update {
		if err := Write(root); err != nil {
			t.Fatal(err)
		}
	}
	files := Files()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		got, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(n)))
		if err != nil || string(got) != files[n] {
			t.Errorf("%s is out of date: run make docs", n)
		}
	}
	// No stale manifest of a set the table no longer has.
	entries, err := os.ReadDir(filepath.Join(root, "deploy", "rbac"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := files["deploy/rbac/"+e.Name()]; !ok {
			t.Errorf("deploy/rbac/%s is not generated from the table: remove it", e.Name())
		}
	}
}
