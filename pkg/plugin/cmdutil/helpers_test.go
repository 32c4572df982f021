package cmdutil_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

func TestTextHelpers(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"Plural one", cmdutil.Plural(1, "node"), "1 node"},
		{"Plural many", cmdutil.Plural(3, "node"), "3 nodes"},
		{"Plural none", cmdutil.Plural(0, "error"), "0 errors"},
		{"OrDash empty", cmdutil.OrDash(""), "-"},
		{"OrDash", cmdutil.OrDash("v1.33.5+k3s1"), "v1.33.5+k3s1"},
		{"OneLine", cmdutil.OneLine("  a\n\tb   c \n"), "a b c"},
		{"AppendUnique new", strings.Join(cmdutil.AppendUnique([]string{"a"}, "b"), ","), "a,b"},
		{"AppendUnique present", strings.Join(cmdutil.AppendUnique([]string{"a", "b"}, "a"), ","), "a,b"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestNonNil(t *testing.T) {
	var none []string
	b, err := json.Marshal(map[string]any{"nil": cmdutil.NonNil(none), "some": cmdutil.NonNil([]string{"x"})})
	if err != nil || string(b) != `{"nil":[],"some":["x"]}` {
		t.Errorf("NonNil: %s %v; JSON shows [] rather than null", b, err)
	}
}

func TestFixedCompletion(t *testing.T) {
	got, directive := cmdutil.FixedCompletion("none", "error", "warning")(&cobra.Command{}, nil, "w")
	if strings.Join(got, " ") != "none error warning" || directive != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("FixedCompletion = %v %v: every value, no file names (the shell filters)", got, directive)
	}
}

func TestUnwrapAPI(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "upgrade.cattle.io", Resource: "plans"}, "", errors.New("no"))
	wrapped := fmt.Errorf("list plans in system-upgrade: %w", forbidden)
	if got := cmdutil.UnwrapAPI(wrapped); got != error(forbidden) {
		t.Errorf("UnwrapAPI found %v, want the status error inside", got)
	}
	plain := fmt.Errorf("decode plan x: %w", errors.New("bad"))
	if got := cmdutil.UnwrapAPI(plain); got != plain {
		t.Errorf("an error without an API status stays as it is: %v", got)
	}
	if !strings.Contains(cmdutil.APIError("list our Plans", "s", cmdutil.UnwrapAPI(wrapped)).Error(), "ask a cluster admin") {
		t.Errorf("unwrapped, APIError names the cause")
	}
}
