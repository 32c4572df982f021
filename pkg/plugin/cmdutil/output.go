package cmdutil

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// Output formats every command with a report accepts; "" is the default table.
const (
	formatTable = ""
	FormatWide  = "wide"
	FormatJSON  = "json"
	formatYAML  = "yaml"
)

// options is kubectl's Options pattern, which every command follows: fill in what
// the flags imply, check it before anything touches the cluster, then run.
type options interface {
	Complete() error
	Validate() error
	Run(ctx context.Context) error
}

// RunOptions is the cobra RunE of a command with options.
func RunOptions(o options) func(*cobra.Command, []string) error {
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

// OutputFlags is -o/--output, shared by every command that prints a report: the
// command's own tables (the default, and wide where it has one), and every format
// of cli-runtime's PrintFlags (json, yaml, jsonpath=, jsonpath-file=, go-template=,
// go-template-file=, and name where the output is Kubernetes objects).
type OutputFlags struct {
	Format string
	tables []string
	print  *genericclioptions.PrintFlags
	// printer is set by Validate for every format but the tables.
	printer printers.ResourcePrinter
}

// NewOutputFlags accepts the given table formats besides the default table; name
// adds -o name, for commands that print Kubernetes objects.
func NewOutputFlags(withName bool, tables ...string) *OutputFlags {
	pf := genericclioptions.NewPrintFlags("")
	if !withName {
		pf.NamePrintFlags = nil
	}
	return &OutputFlags{tables: tables, print: pf}
}

// formats lists what -o accepts, tables first.
func (o *OutputFlags) formats() []string {
	return append(append([]string{}, o.tables...), o.print.AllowedFormats()...)
}

func (o *OutputFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.Format, "output", "o", "", "Output format: "+strings.Join(o.formats(), "|")+" (default: a table)")
	o.print.TemplatePrinterFlags.AddFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return o.formats(), cobra.ShellCompDirectiveNoFileComp
	})
}

func (o *OutputFlags) Validate() error {
	o.Format = strings.TrimSpace(o.Format)
	if lower := strings.ToLower(o.Format); lower == formatTable || slices.Contains(o.tables, lower) || lower == FormatJSON || lower == formatYAML {
		o.Format = lower
	}
	if o.Format == formatTable || slices.Contains(o.tables, o.Format) {
		if t := o.print.TemplatePrinterFlags.TemplateArgument; t != nil && *t != "" {
			return fmt.Errorf("--template goes with -o jsonpath or -o go-template, not with the table")
		}
		return nil
	}
	o.print.OutputFormat = &o.Format
	o.print.OutputFlagSpecified = func() bool { return true }
	p, err := o.print.ToPrinter()
	if err != nil {
		if genericclioptions.IsNoCompatiblePrinterError(err) {
			return fmt.Errorf("unknown output format %q: use one of %s", o.Format, strings.Join(o.formats(), ", "))
		}
		return fmt.Errorf("-o %s: %w", o.Format, err)
	}
	o.printer = p
	return nil
}

// Structured reports whether the output is the report object (json, yaml, a
// template) rather than a table: nothing else goes to stdout then.
func (o *OutputFlags) Structured() bool { return o.printer != nil }

// Print prints obj with the printer -o chose.
func (o *OutputFlags) Print(w io.Writer, obj runtime.Object) error {
	if o.printer == nil {
		return fmt.Errorf("output format %q is a table", o.Format)
	}
	if err := o.printer.PrintObj(obj, w); err != nil {
		return fmt.Errorf("print -o %s: %w", o.Format, err)
	}
	return nil
}

// PrintReport prints a report on stdout: the object itself for json, yaml and the
// templates, else the table that draw writes (one of package table's renderers).
func PrintReport[R report.Object](e *Env, out *OutputFlags, r R, draw func(io.Writer, R, table.Options) error) error {
	if out.Structured() {
		return out.Print(e.Streams.Out, r)
	}
	return draw(e.Streams.Out, r, e.TableOptions(out))
}

// TableOptions are the options of the table -o chose on stdout: wide with -o wide,
// coloured when stdout is a terminal.
func (e *Env) TableOptions(out *OutputFlags) table.Options {
	return table.Options{Wide: out.Format == FormatWide, Color: e.UseColor(e.Streams.Out)}
}
