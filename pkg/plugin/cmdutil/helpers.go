package cmdutil

// Small text and completion helpers every command shares.

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var (
	Plural     = text.Plural
	PluralWord = text.PluralWord
)

// AppendUnique appends s unless list already holds it.
func AppendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// FixedCompletion completes a flag with a fixed list of values and no file names.
func FixedCompletion(values ...string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// OrDash is s, or "-" in a table cell when s is empty.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// DistroName names the distribution of a report's distro field.
func DistroName(d string) string { return version.Distro(d).Name() }

// OneLine folds a message onto one line, spaces collapsed.
func OneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// NonNil turns a nil slice into an empty one, so JSON prints [] rather than null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// UnwrapAPI finds the API status error inside a wrapped error, so APIError can
// name the cause (forbidden, unreachable) instead of printing the chain.
func UnwrapAPI(err error) error {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		if e, ok := st.(error); ok {
			return e
		}
	}
	return err
}

// FindingLines renders findings one per line: severity, ID, subject and message.
func FindingLines(fs []policy.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s %s %s (%s)", f.Severity, f.ID, f.Subject, f.Message)
	}
	return out
}

// JoinNonEmpty joins the parts that are not empty.
func JoinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
