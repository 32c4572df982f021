package reference

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReferenceIsCurrent fails when docs/reference differs from the commands: run
// make docs and commit the result.
func TestReferenceIsCurrent(t *testing.T) {
	dir := t.TempDir()
	if err := Write(dir); err != nil {
		t.Fatal(err)
	}
	committed := filepath.Join("..", "..", "..", "docs", "reference")
	want, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	have, _ := filepath.Glob(filepath.Join(committed, "*.md"))
	if len(want) != len(have) {
		t.Errorf("docs/reference has %d files, the commands make %d: run make docs", len(have), len(want))
	}
	for _, f := range want {
		got, err := os.ReadFile(filepath.Join(committed, filepath.Base(f)))
		exp, _ := os.ReadFile(f)
		if err != nil || string(got) != string(exp) {
			t.Errorf("docs/reference/%s is out of date: run make docs", filepath.Base(f))
		}
	}
}
