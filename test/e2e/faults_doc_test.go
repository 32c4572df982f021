package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// faultColumns are the table's fault columns in docs/reliability.md, in order.
var faultColumns = []fault{faultKill, faultInterrupt, faultAPIServer, faultController, faultChannel}

// checkMatrixDoc: docs/reliability.md has a row for each of the scenario's points
// whose cells say what the square struck there: "converges (run N)" for a struck
// cell, "**fails** (run N, ...)" for one in a run a known product bug fails (the run
// is skipped, naming it), "n/a" with a reason for a cell that does not apply, and
// the test's name. A
// change of the arrangement that the table does not follow fails here.
func checkMatrixDoc(t *testing.T, sc *faultScenario, runs [][]faultStep) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.root, "docs", "reliability.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "| "+sc.label+" |") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 3+len(faultColumns) {
			t.Errorf("docs/reliability.md: a row of %s has %d cells: %s", sc.label, len(cells), line)
			continue
		}
		rows[cells[1]] = cells
	}
	want := map[point]map[fault]int{}
	for r, steps := range runs {
		for _, st := range steps {
			if want[st.at] == nil {
				want[st.at] = map[fault]int{}
			}
			want[st.at][st.fault] = r + 1
		}
	}
	for _, p := range allPoints {
		row, ok := rows[string(p)]
		if !ok {
			t.Errorf("docs/reliability.md has no row %q for %s", p, sc.label)
			continue
		}
		if row[len(row)-1] != "`"+t.Name()+"`" {
			t.Errorf("docs/reliability.md: row %s / %s names test %s, want `%s`", sc.label, p, row[len(row)-1], t.Name())
		}
		for i, f := range faultColumns {
			cell := row[2+i]
			if r, struck := want[p][f]; struck {
				w := fmt.Sprintf("converges (run %d)", r)
				if sc.bugs[r] != "" {
					w = fmt.Sprintf("**fails** (run %d", r)
				}
				if !strings.HasPrefix(cell, w) {
					t.Errorf("docs/reliability.md: %s / %s / %s says %q; the square strikes it in run %d: %q", sc.label, p, f, cell, r, w)
				}
			} else if !strings.HasPrefix(cell, "n/a") {
				t.Errorf("docs/reliability.md: %s / %s / %s says %q; the square does not strike it, so it must say n/a and why", sc.label, p, f, cell)
			}
		}
	}
}
