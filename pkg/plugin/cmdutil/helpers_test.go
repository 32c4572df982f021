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
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

func TestTextHelpers(t *testing.T) {
	for _, tc := range []struct{ name, got, want string }{
		{"Plural one", cmdutil.Plural(1, "node"), "1 node"},
		{"Plural many", cmdutil.Plural(3, "node"), "3 nodes"},
		{"Plural none", cmdutil.Plural(0, "error"), "0 errors"},
		{"PluralWord", cmdutil.PluralWord(2, "warning"), "warnings"},
		{"OrDash empty", cmdutil.OrDash(""), "-"},
		{"OrDash", cmdutil.OrDash("v1.33.5+k3s1"), "v1.33.5+k3s1"},
		{"OneLine", cmdutil.OneLine("  a\n\tb   c \n"), "a b c"},
		{"JoinNonEmpty", cmdutil.JoinNonEmpty(", ", "", "a", "", "b", ""), "a, b"},
		{"JoinNonEmpty nothing", cmdutil.JoinNonEmpty(", ", "", ""), ""},
		{"DistroName k3s", cmdutil.DistroName("k3s"), "K3s"},
		{"DistroName rke2", cmdutil.DistroName("rke2"), "RKE2"},
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

func TestFindingLines(t *testing.T) {
	got := cmdutil.FindingLines([]policy.Finding{
		{Severity: policy.Error, ID: "SKEW102", Subject: "node/agent-1", Message: "kubelet v1.29 is 4 minors behind"},
		{Severity: policy.Warning, ID: "SKEW301", Subject: "kubectl", Message: "kubectl v1.31 is old"},
	})
	want := "error SKEW102 node/agent-1 (kubelet v1.29 is 4 minors behind)|warning SKEW301 kubectl (kubectl v1.31 is old)"
	if strings.Join(got, "|") != want {
		t.Errorf("FindingLines = %q", got)
	}
	if got := cmdutil.FindingLines(nil); len(got) != 0 {
		t.Errorf("no findings, no lines: %q", got)
	}
}
