package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// Output formats every command with a report accepts; "" is the default table.
const (
	formatTable = ""
	formatWide  = "wide"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

// options is kubectl's Options pattern, which every command follows: fill in what
// the flags imply, check it before anything touches the cluster, then run.
type options interface {
	Complete() error
	Validate() error
	Run(ctx context.Context) error
}

// runOptions is the cobra RunE of a command with options.
func runOptions(o options) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := o.Complete(); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
}

// outputFlags is -o/--output, shared by every command that prints a report.
type outputFlags struct {
	Format  string
	allowed []string
}

func newOutputFlags(allowed ...string) *outputFlags {
	return &outputFlags{allowed: allowed}
}

func (o *outputFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.Format, "output", "o", "", "Output format: "+strings.Join(o.allowed, "|")+" (default: a table)")
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return o.allowed, cobra.ShellCompDirectiveNoFileComp
	})
}

func (o *outputFlags) Validate() error {
	o.Format = strings.ToLower(strings.TrimSpace(o.Format))
	if o.Format == formatTable {
		return nil
	}
	for _, a := range o.allowed {
		if o.Format == a {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q: use one of %s", o.Format, strings.Join(o.allowed, ", "))
}

// Structured reports json and yaml, which print the report object and nothing else on stdout.
func (o *outputFlags) Structured() bool { return o.Format == formatJSON || o.Format == formatYAML }

// printStructured prints obj as JSON or YAML with cli-runtime's printers.
func printStructured(w io.Writer, format string, obj report.Object) error {
	var p printers.ResourcePrinter
	switch format {
	case formatJSON:
		p = &printers.JSONPrinter{}
	case formatYAML:
		p = &printers.YAMLPrinter{}
	default:
		return fmt.Errorf("output format %q is not structured", format)
	}
	if err := p.PrintObj(obj, w); err != nil {
		return fmt.Errorf("print %s: %w", format, err)
	}
	return nil
}

// printReport prints a report on stdout: the object itself for json and yaml, else the
// table that writeTable draws, coloured when stdout is a terminal.
func (e *Env) printReport(out *outputFlags, obj report.Object, writeTable func(w io.Writer, wide bool)) error {
	if out.Structured() {
		return printStructured(e.Streams.Out, out.Format, obj)
	}
	var buf bytes.Buffer
	writeTable(&buf, out.Format == formatWide)
	_, err := io.Copy(e.Streams.Out, paint(&buf, e.useColor(e.Streams.Out)))
	return err
}
