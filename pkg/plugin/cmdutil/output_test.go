package cmdutil_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// outputFlags are -o and --template of a command with a wide table (and -o name when
// withName), parsed from args as cobra parses them.
func outputFlags(t *testing.T, withName bool, args ...string) *cmdutil.OutputFlags {
	t.Helper()
	o := cmdutil.NewOutputFlags(withName, cmdutil.FormatWide)
	cmd := &cobra.Command{Use: "test"}
	o.AddFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return o
}

func TestOutputFlagsValidate(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		withName   bool
		format     string // Format after Validate
		structured bool
		err        string
	}{
		{nil, false, "", false, ""},
		{[]string{"-o", "wide"}, false, "wide", false, ""},
		{[]string{"-o", " WIDE "}, false, "wide", false, ""},
		{[]string{"-o", "json"}, false, "json", true, ""},
		{[]string{"-o", "JSON"}, false, "json", true, ""},
		{[]string{"--output", "yaml"}, false, "yaml", true, ""},
		{[]string{"-o", "jsonpath={.kind}"}, false, "jsonpath={.kind}", true, ""},
		{[]string{"-o", "jsonpath", "--template", "{.kind}"}, false, "jsonpath", true, ""},
		{[]string{"-o", "go-template={{.kind}}"}, false, "go-template={{.kind}}", true, ""},
		{[]string{"-o", "name"}, true, "name", true, ""},
		{[]string{"-o", "name"}, false, "", false, `unknown output format "name": use one of wide, json, yaml`},
		{[]string{"-o", "xml"}, false, "", false, `unknown output format "xml": use one of wide, json, yaml`},
		{[]string{"-o", "jsonpath={.kind"}, false, "", false, "-o jsonpath={.kind: "},
		{[]string{"--template", "{.kind}"}, false, "", false, "--template goes with -o jsonpath or -o go-template, not with the table"},
		{[]string{"-o", "wide", "--template", "{.kind}"}, false, "", false, "--template goes with -o jsonpath or -o go-template"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			o := outputFlags(t, tc.withName, tc.args...)
			err := o.Validate()
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Validate = %v, want an error with %q", err, tc.err)
				}
			case err != nil:
				t.Fatalf("Validate = %v", err)
			case o.Format != tc.format || o.Structured() != tc.structured:
				t.Errorf("Format %q structured %v, want %q %v", o.Format, o.Structured(), tc.format, tc.structured)
			}
		})
	}
}

func TestOutputFlagsCompletion(t *testing.T) {
	o := cmdutil.NewOutputFlags(false, cmdutil.FormatWide)
	cmd := &cobra.Command{Use: "test"}
	o.AddFlags(cmd)
	complete, ok := cmd.GetFlagCompletionFunc("output")
	if !ok {
		t.Fatal("-o has no completion")
	}
	got, directive := complete(cmd, nil, "")
	if len(got) == 0 || got[0] != "wide" || !slices.Contains(got, "json") || !slices.Contains(got, "jsonpath") || slices.Contains(got, "name") || directive != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("-o completes %v (%v): the tables first, then the printers, no name", got, directive)
	}
}

func configMap() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "skew"}}}
}

func TestOutputFlagsPrint(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		withName bool
		want     string
	}{
		{[]string{"-o", "name"}, true, "configmap/skew\n"},
		{[]string{"-o", "jsonpath={.metadata.name}"}, false, "skew"},
		{[]string{"-o", "yaml"}, false, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: skew\n"},
	} {
		o := outputFlags(t, tc.withName, tc.args...)
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		var w bytes.Buffer
		if err := o.Print(&w, configMap()); err != nil || w.String() != tc.want {
			t.Errorf("%v: Print = %v, %q; want %q", tc.args, err, w.String(), tc.want)
		}
	}
	o := outputFlags(t, false, "-o", "json")
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	var got map[string]any
	if err := o.Print(&w, configMap()); err != nil || json.Unmarshal(w.Bytes(), &got) != nil || got["kind"] != "ConfigMap" {
		t.Errorf("-o json: %v %q", err, w.String())
	}
	table := outputFlags(t, false)
	if err := table.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := table.Print(&w, configMap()); err == nil || err.Error() != `output format "" is a table` {
		t.Errorf("Print without a printer = %v", err)
	}
	missing := outputFlags(t, false, "-o", "go-template={{index .metadata 1}}")
	if err := missing.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := missing.Print(&w, configMap()); err == nil || !strings.HasPrefix(err.Error(), "print -o go-template={{index .metadata 1}}: ") {
		t.Errorf("a template that fails says which -o: %v", err)
	}
}

func TestPrintReport(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "table wide=false\n"},
		{[]string{"-o", "wide"}, "table wide=true\n"},
		{[]string{"-o", "jsonpath={.kind}"}, "StatusReport"},
	} {
		var out bytes.Buffer
		env := &cmdutil.Env{Streams: genericiooptions.IOStreams{Out: &out}, Getenv: func(string) string { return "" }}
		o := outputFlags(t, false, tc.args...)
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		err := cmdutil.PrintReport(env, o, report.NewStatusReport(), func(w io.Writer, _ *report.StatusReport, opts table.Options) error {
			_, err := io.WriteString(w, "table wide="+map[bool]string{true: "true", false: "false"}[opts.Wide]+"\n")
			return err
		})
		if err != nil || out.String() != tc.want {
			t.Errorf("%v: PrintReport = %v, %q; want %q (a buffer is no terminal: no colour)", tc.args, err, out.String(), tc.want)
		}
	}
}

// steps records the calls RunOptions makes, and fails at one of them.
type steps struct {
	calls  []string
	failAt string
}

func (s *steps) step(name string) error {
	s.calls = append(s.calls, name)
	if name == s.failAt {
		return errors.New(name + " failed")
	}
	return nil
}

func (s *steps) Complete() error               { return s.step("complete") }
func (s *steps) Validate() error               { return s.step("validate") }
func (s *steps) Run(ctx context.Context) error { return s.step("run") }

func TestRunOptions(t *testing.T) {
	for _, tc := range []struct {
		failAt, calls string
	}{
		{"", "complete validate run"},
		{"complete", "complete"},
		{"validate", "complete validate"},
		{"run", "complete validate run"},
	} {
		s := &steps{failAt: tc.failAt}
		cmd := &cobra.Command{Use: "test"}
		cmd.SetContext(context.Background())
		err := cmdutil.RunOptions(s)(cmd, nil)
		if got := strings.Join(s.calls, " "); got != tc.calls || (tc.failAt != "") != (err != nil) {
			t.Errorf("failing at %q: calls %q, err %v; want %q", tc.failAt, got, err, tc.calls)
		}
	}
}
