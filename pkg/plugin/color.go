package plugin

import (
	"bytes"
	"io"
	"regexp"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

var (
	severityCell = regexp.MustCompile(`(?m)^(error|warning|info)(\s)`)
	notReadyCell = regexp.MustCompile(`\bNotReady\b`)
)

// paint colours a finished table. Colour is added after tabwriter has aligned the
// columns, because escape codes would count as width and break the alignment.
func paint(buf *bytes.Buffer, color bool) io.Reader {
	if !color {
		return buf
	}
	b := buf.Bytes()
	if i := bytes.IndexByte(b, '\n'); i > 0 {
		b = append([]byte(ansiBold+string(b[:i])+ansiReset), b[i:]...)
	}
	b = severityCell.ReplaceAllFunc(b, func(m []byte) []byte {
		word, space := m[:len(m)-1], m[len(m)-1:]
		code := map[string]string{"error": ansiRed, "warning": ansiYellow, "info": ansiCyan}[string(word)]
		return append([]byte(code+string(word)+ansiReset), space...)
	})
	b = notReadyCell.ReplaceAll(b, []byte(ansiRed+"NotReady"+ansiReset))
	return bytes.NewReader(b)
}
