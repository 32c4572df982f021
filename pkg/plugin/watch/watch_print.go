package watch

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/watch"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// changePrinter writes one line per change of the findings: text, or JSON with -o json.
type changePrinter struct {
	out  io.Writer
	json bool
}

// print has no error to return to the watch: a line that cannot be written is lost,
// and the watch goes on.
func (p *changePrinter) print(c watch.Change) {
	wc := c.Report()
	if !p.json {
		_ = table.WriteWatchChange(p.out, wc)
		return
	}
	if b, err := json.Marshal(wc); err == nil {
		fmt.Fprintf(p.out, "%s\n", b)
	}
}
