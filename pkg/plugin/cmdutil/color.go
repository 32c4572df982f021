package cmdutil

import (
	"bytes"
	"io"
	"regexp"
)

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

// Paint colours a finished table. Colour is added after tabwriter has aligned the
// columns, because escape codes would count as width and break the alignment.
func Paint(buf *bytes.Buffer, color bool) io.Reader {
	if !color {
		return buf
	}
	b := buf.Bytes()
	if i := bytes.IndexByte(b, '\n'); i > 0 {
		b = append([]byte(ANSIBold+string(b[:i])+ANSIReset), b[i:]...)
	}
	b = severityCell.ReplaceAllFunc(b, func(m []byte) []byte {
		word, space := m[:len(m)-1], m[len(m)-1:]
		code := map[string]string{"error": ANSIRed, "warning": ANSIYellow, "info": ansiCyan}[string(word)]
		return append([]byte(code+string(word)+ANSIReset), space...)
	})
	b = notReadyCell.ReplaceAll(b, []byte(ANSIRed+"NotReady"+ANSIReset))
	return bytes.NewReader(b)
}
