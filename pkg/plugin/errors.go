package plugin

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

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// Exit codes, the same for every command.
const (
	ExitOK       = 0
	ExitError    = 1
	ExitFindings = 3
)

// findingsError ends a command whose report was printed and whose findings reach --fail-on.
// It prints nothing more: the report already said it all.
type findingsError struct{ count int }

func (e *findingsError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above --fail-on", e.count)
}

// reportError prints err as one line and returns the exit code for it.
func reportError(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var fe *findingsError
	if errors.As(err, &fe) {
		return ExitFindings
	}
	var ve *verifyError
	if errors.As(err, &ve) {
		// The verdict is printed: not started is a finding, half done has its own code.
		if ve.state == report.RollbackPartial {
			return ExitPartial
		}
		return ExitFindings
	}
	msg := strings.TrimSpace(err.Error())
	// One line: a wrapped multi-line server message must not break log parsers.
	msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " ")), " ")
	fmt.Fprintf(w, "error: %s\n", msg)
	return ExitError
}

func flagError(cmd *cobra.Command, err error) error {
	return fmt.Errorf("%w; see '%s --help'", err, cmd.CommandPath())
}

func kubeconfigError(err error) error {
	return fmt.Errorf("load kubeconfig: %w; set --kubeconfig or KUBECONFIG, or pick a context with --context", err)
}

// apiError turns a client error into a sentence that names the cause and the fix.
// what says what was being done ("list nodes").
func apiError(what, server string, err error) error {
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
		return fmt.Errorf("%s: cannot reach the cluster at %s (%s); check --kubeconfig/--context and that the apiserver is up", what, server, rootCause(err))
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

// rootCause is the innermost error message ("connection refused"), not the whole URL chain.
func rootCause(err error) string {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Err != nil {
		return rootCause(opErr.Err)
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
