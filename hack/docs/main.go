// Command docs writes the flag reference of every kubectl-skew command into
// docs/reference, from the cobra commands themselves, the tables of docs/ that come
// from the domain's knowledge tables, docs/hazards.md from the hazard table and
// docs/releases.md from the release data, deploy/rbac and docs/permissions.md from
// the permission table: make docs. Tests fail when what is
// committed differs from what the code would write.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kubectl-skew/kubectl-skew/hack/docs/hazards"
	"github.com/kubectl-skew/kubectl-skew/hack/docs/permissions"
	"github.com/kubectl-skew/kubectl-skew/hack/docs/reference"
	"github.com/kubectl-skew/kubectl-skew/hack/docs/releases"
	"github.com/kubectl-skew/kubectl-skew/hack/docs/tables"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
)

func main() {
	out := flag.String("out", "docs/reference", "directory to write the reference into")
	docs := flag.String("docs", "docs", "directory of the docs whose tables are generated")
	hazardsDoc := flag.String("hazards", "docs/hazards.md", "file to write the hop hazards table into")
	releaseData := flag.String("releases", "docs/releases.md", "file to write the release data page into")
	root := flag.String("root", ".", "repository root, where deploy/rbac and docs/permissions.md are written")
	flag.Parse()
	if err := reference.Write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
	if err := tables.Write(*docs); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*hazardsDoc, []byte(hazards.Markdown()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
	if err := permissions.Write(*root); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*releaseData, []byte(releases.Markdown(release.Embedded())), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "docs:", err)
		os.Exit(1)
	}
}
