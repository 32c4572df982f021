// Package table draws the reports of package report as the text kubectl-skew prints
// by default: a summary line, kubectl-style aligned tables and the next step. It is
// the library's, not the command line's, so that another program holding a report
// prints the same text; -o json and -o yaml are the report objects themselves.
package table

import (
	"bytes"
	"fmt"
	"io"
	"regexp"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Options choose how a report is drawn.
type Options struct {
	// Wide adds what -o wide shows: more columns, node names, every gating finding.
	Wide bool
	// Color paints the summary line, severities, NotReady and failures with ANSI
	// escape codes. Set it for a terminal only.
	Color bool
}

// ANSI escape codes of the colours the tables use, exported for the command output
// that colours its own lines the same way.
const (
	ANSIReset  = "\x1b[0m"
	ANSIBold   = "\x1b[1m"
	ANSIRed    = "\x1b[31m"
	ANSIYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

var (
	severityCell = regexp.MustCompile(`(?m)^(error|warning|info)(\s)`)
	notReadyCell = regexp.MustCompile(`\bNotReady\b`)
)

// paint colours a finished table: the first line bold, severities at the start of a
// row and NotReady. Colour is added after tabwriter has aligned the columns, because
// escape codes would count as width and break the alignment.
func paint(b []byte, color bool) []byte {
	if !color {
		return b
	}
	if i := bytes.IndexByte(b, '\n'); i > 0 {
		b = append([]byte(ANSIBold+string(b[:i])+ANSIReset), b[i:]...)
	}
	b = severityCell.ReplaceAllFunc(b, func(m []byte) []byte {
		word, space := m[:len(m)-1], m[len(m)-1:]
		code := map[string]string{"error": ANSIRed, "warning": ANSIYellow, "info": ansiCyan}[string(word)]
		return append([]byte(code+string(word)+ANSIReset), space...)
	})
	return notReadyCell.ReplaceAll(b, []byte(ANSIRed+"NotReady"+ANSIReset))
}

// flush writes what a renderer drew to w, painted when color is set. Every renderer
// draws into a buffer first, so that a table is aligned and coloured whole.
func flush(w io.Writer, drawn []byte, color bool) error {
	if _, err := w.Write(paint(drawn, color)); err != nil {
		return fmt.Errorf("write the table: %w", err)
	}
	return nil
}

// keyComponents are the components the hop hazards judge: what plan and releases show
// of a release without wide.
var keyComponents = []string{release.Etcd, release.Containerd, release.Traefik, release.IngressNginx}

// distroName names the distribution of a report's distro field.
func distroName(d string) string { return version.Distro(d).Name() }
