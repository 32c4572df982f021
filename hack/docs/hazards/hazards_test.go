package hazards

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/hazards.md")

var docPath = filepath.Join("..", "..", "..", "docs", "hazards.md")

// TestHazardsDocIsCurrent fails when docs/hazards.md differs from the hazard table: run
// make docs (or this test with -update) and commit the result.
func TestHazardsDocIsCurrent(t *testing.T) {
	want := Markdown()
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docPath)
	if err != nil || string(got) != want {
		t.Fatal("docs/hazards.md is out of date: run make docs")
	}
}
