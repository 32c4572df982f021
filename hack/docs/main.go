// Command docs writes the flag reference of every kubectl-skew command into
// docs/reference, from the cobra commands themselves: make docs. A test fails when
// the committed reference differs from what the code would write.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kubectl-skew/kubectl-skew/hack/docs/reference"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/hazard"
)

func main() {
	out := flag.String("out", "docs/reference", "directory to write the reference into")
	hazards := flag.String("hazards", "docs/hazards.md", "file to write the hop hazards table into")
	flag.Parse()
	if err := reference.Write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*hazards, []byte(hazard.Markdown()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
}
