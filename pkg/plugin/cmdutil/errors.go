package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// Exit codes, the same for every command.
const (
	ExitOK       = 0
	ExitError    = 1
	ExitFindings = 3
	// ExitPartial ends "rollback --verify" when the rollback is half done.
	ExitPartial = 4
)

// printedError ends a command whose report was printed and said it all: it prints
// nothing more and carries its own exit code.
type printedError interface {
	error
	ExitCode() int
}

// FindingsError ends a command whose findings reach --fail-on.
type FindingsError struct{ Count int }

func (e *FindingsError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above --fail-on", e.Count)
}

func (e *FindingsError) ExitCode() int { return ExitFindings }

// ReportError prints err as one line and returns the exit code for it.
func ReportError(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var printed printedError
	if errors.As(err, &printed) {
		return printed.ExitCode()
	}
	msg := strings.TrimSpace(err.Error())
	// One line: a wrapped multi-line server message must not break log parsers.
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " ")
	fmt.Fprintf(w, "error: %s\n", msg)
	return ExitError
}

func FlagError(cmd *cobra.Command, err error) error {
	return fmt.Errorf("%w; see '%s --help'", err, cmd.CommandPath())
}

func kubeconfigError(err error) error {
	return fmt.Errorf("load kubeconfig: %w; set --kubeconfig or KUBECONFIG, or pick a context with --context", err)
}

// APIError turns a client error into a sentence that names the cause and the fix.
// what says what was being done ("list nodes").
func APIError(what, server string, err error) error {
	switch {
	case err == nil:
		return nil
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s: forbidden: %s; ask a cluster admin for that permission", what, apiMessage(err))
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%s: the cluster at %s rejected the credentials (401 Unauthorized); refresh them or pick another context with --context", what, server)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Errorf("%s: no answer from %s within the timeout; check that the cluster is reachable, or raise --request-timeout", what, server)
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: interrupted", what)
	case isUnreachable(err):
		return fmt.Errorf("%s: cannot reach the cluster at %s (%s); check --kubeconfig/--context and that the apiserver is up", what, server, RootCause(err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

func apiMessage(err error) string {
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Message
	}
	return err.Error()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isUnreachable(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var urlErr *url.Error
	return errors.As(err, &opErr) || errors.As(err, &dnsErr) ||
		(errors.As(err, &urlErr) && !apierrors.IsInternalError(err)) ||
		strings.Contains(err.Error(), "connection refused")
}

// RootCause is the innermost error message ("connection refused"), not the whole URL chain.
func RootCause(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return RootCause(opErr.Err)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "no such host " + dnsErr.Name
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			break
		}
		err = next
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
