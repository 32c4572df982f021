package cmdutil_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

// TestExitCodes: the exit codes the commands document (docs/reference) are fixed.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want int
	}{{"ok", cmdutil.ExitOK, 0}, {"error", cmdutil.ExitError, 1}, {"findings", cmdutil.ExitFindings, 3}, {"partial", cmdutil.ExitPartial, 4}} {
		if tc.got != tc.want {
			t.Errorf("Exit %s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
}

// printed is an error whose command printed everything already, with its own code.
type printed struct{ code int }

func (p printed) Error() string { return "printed" }
func (p printed) ExitCode() int { return p.code }

func TestReportError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		code   int
		stderr string
	}{
		{"nil", nil, cmdutil.ExitOK, ""},
		{"findings print nothing more", &cmdutil.FindingsError{Count: 2}, cmdutil.ExitFindings, ""},
		{"wrapped findings", fmt.Errorf("check: %w", &cmdutil.FindingsError{Count: 1}), cmdutil.ExitFindings, ""},
		{"an error with its own code", printed{code: cmdutil.ExitPartial}, cmdutil.ExitPartial, ""},
		{"one line", errors.New("list nodes: boom"), cmdutil.ExitError, "error: list nodes: boom\n"},
		{"a multi-line server message folds onto one line", errors.New("  apply:\n  the server said\n\tno   thanks \n"), cmdutil.ExitError, "error: apply: the server said no thanks\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w bytes.Buffer
			if code := cmdutil.ReportError(&w, tc.err); code != tc.code || w.String() != tc.stderr {
				t.Errorf("ReportError = %d, %q; want %d, %q", code, w.String(), tc.code, tc.stderr)
			}
		})
	}
}

func TestFindingsError(t *testing.T) {
	err := &cmdutil.FindingsError{Count: 3}
	if err.Error() != "3 finding(s) at or above --fail-on" || err.ExitCode() != cmdutil.ExitFindings {
		t.Errorf("%q, exit %d", err.Error(), err.ExitCode())
	}
}

func TestFlagError(t *testing.T) {
	root := &cobra.Command{Use: "kubectl-skew", Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl skew"}}
	check := &cobra.Command{Use: "check"}
	root.AddCommand(check)
	base := errors.New("unknown flag: --bogus")
	err := cmdutil.FlagError(check, base)
	if err.Error() != "unknown flag: --bogus; see 'kubectl skew check --help'" || !errors.Is(err, base) {
		t.Errorf("FlagError = %q (wraps the flag error: %v)", err, errors.Is(err, base))
	}
}

// timeoutError is a net.Error that timed out, as a dial or a read deadline gives.
type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestAPIError(t *testing.T) {
	const server = "https://10.0.0.1:6443"
	refused := &url.Error{Op: "Get", URL: server + "/api/v1/nodes", Err: &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}
	noHost := &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "k8s.example"}}
	other := errors.New("the server could not find the requested resource")
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New(`User "dev" cannot list resource "nodes"`)),
			`list nodes: forbidden: nodes is forbidden: User "dev" cannot list resource "nodes"; ask a cluster admin for that permission`},
		{"unauthorized", apierrors.NewUnauthorized("token expired"),
			"list nodes: the cluster at " + server + " rejected the credentials (401 Unauthorized); refresh them or pick another context with --context"},
		{"deadline", fmt.Errorf("get: %w", context.DeadlineExceeded),
			"list nodes: no answer from " + server + " within the timeout; check that the cluster is reachable, or raise --request-timeout"},
		{"net timeout", &url.Error{Op: "Get", URL: server, Err: timeoutError{}},
			"list nodes: no answer from " + server + " within the timeout; check that the cluster is reachable, or raise --request-timeout"},
		{"canceled", context.Canceled, "list nodes: interrupted"},
		{"connection refused", refused,
			"list nodes: cannot reach the cluster at " + server + " (connection refused); check --kubeconfig/--context and that the apiserver is up"},
		{"no such host", noHost,
			"list nodes: cannot reach the cluster at " + server + " (no such host k8s.example); check --kubeconfig/--context and that the apiserver is up"},
		{"anything else is wrapped", other, "list nodes: the server could not find the requested resource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := cmdutil.APIError("list nodes", server, tc.err)
			if err == nil || err.Error() != tc.want {
				t.Errorf("APIError =\n  %v\nwant\n  %s", err, tc.want)
			}
		})
	}
	if err := cmdutil.APIError("list nodes", server, nil); err != nil {
		t.Errorf("APIError of nil = %v", err)
	}
	if err := cmdutil.APIError("list nodes", server, other); !errors.Is(err, other) {
		t.Errorf("an error APIError does not know stays inside: %v", err)
	}
}

func TestRootCause(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"dial refused", &url.Error{Op: "Get", URL: "https://x", Err: &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}}, "connection refused"},
		{"dns", &net.DNSError{Err: "no such host", Name: "k8s.example"}, "no such host k8s.example"},
		{"wrapped chain", fmt.Errorf("a: %w", fmt.Errorf("b: %w", errors.New("c: the end"))), "the end"},
		{"plain", errors.New("boom"), "boom"},
	} {
		if got := cmdutil.RootCause(tc.err); got != tc.want {
			t.Errorf("%s: RootCause = %q, want %q", tc.name, got, tc.want)
		}
	}
	if !strings.Contains(cmdutil.APIError("x", "s", errors.New("dial tcp: connection refused")).Error(), "cannot reach") {
		t.Errorf("a message that says connection refused is unreachable too")
	}
}
