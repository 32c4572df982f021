package cmdutil_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

func TestPaint(t *testing.T) {
	table := "K3s cluster: 1 error\n\nNAME STATUS\nagent-1 NotReady\nerror    SKEW102 node/a msg\nwarning  SKEW103 node/b msg\n"
	plain := cmdutil.Paint(bytes.NewBufferString(table), false)
	var got bytes.Buffer
	_, _ = got.ReadFrom(plain)
	if got.String() != table {
		t.Errorf("no colour means the bytes are untouched")
	}
	got.Reset()
	_, _ = got.ReadFrom(cmdutil.Paint(bytes.NewBufferString(table), true))
	for _, want := range []string{cmdutil.ANSIBold + "K3s cluster: 1 error" + cmdutil.ANSIReset, cmdutil.ANSIRed + "NotReady" + cmdutil.ANSIReset, cmdutil.ANSIRed + "error" + cmdutil.ANSIReset + " ", cmdutil.ANSIYellow + "warning" + cmdutil.ANSIReset} {
		if !strings.Contains(got.String(), want) {
			t.Errorf("coloured output lacks %q:\n%q", want, got.String())
		}
	}
}
