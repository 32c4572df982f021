package cmdutil_test

import (
	"bytes"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

func TestNoColor(t *testing.T) {
	env := &cmdutil.Env{Getenv: func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}}
	if env.UseColor(nil) {
		t.Error("NO_COLOR disables colour")
	}
	env.Getenv = func(string) string { return "" }
	if env.UseColor(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}
