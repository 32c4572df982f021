package cmdutil

// Small text and completion helpers every command shares.

import (
	"errors"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
)

// Wording the commands share with the library's messages and tables.
var (
	Plural = text.Plural
	OrDash = text.OrDash
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
