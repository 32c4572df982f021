package tables

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTablesAreCurrent fails when a generated part of docs/ differs from the tables in
// the code: run make docs and commit the result.
func TestTablesAreCurrent(t *testing.T) {
	for _, b := range Blocks {
		path := filepath.Join("..", "..", "..", "docs", b.File)
		doc, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := Splice(string(doc), b, b.Render())
		if err != nil {
			t.Fatal(err)
		}
		if want != string(doc) {
			t.Errorf("docs/%s: the %s block is out of date: run make docs", b.File, b.Name)
		}
	}
}
