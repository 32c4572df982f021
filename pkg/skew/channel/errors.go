package channel

import (
	"errors"
	"strings"
)

// Kinds of failure. Every error this package returns wraps exactly one of them, so
// callers can tell them apart with errors.Is and tests can assert on them.
var (
	ErrNotFound       = errors.New("the server answered 404 Not Found")
	ErrHTTPStatus     = errors.New("the server answered an error status")
	ErrHTMLPage       = errors.New("the server answered an HTML page, not a channel list")
	ErrNotJSON        = errors.New("the answer is not JSON")
	ErrTruncated      = errors.New("the answer is truncated JSON")
	ErrMalformed      = errors.New("the answer is not a channel list")
	ErrNoData         = errors.New(`the answer has no "data" list of channels`)
	ErrTooLarge       = errors.New("the answer is larger than the limit")
	ErrRedirectLoop   = errors.New("too many redirects or a redirect loop")
	ErrInsecure       = errors.New("refusing a plain-HTTP channel server")
	ErrTLS            = errors.New("TLS verification failed")
	ErrTimeout        = errors.New("no complete answer within the timeout")
	ErrUnreachable    = errors.New("cannot reach the channel server")
	ErrUnknownChannel = errors.New("no such channel")
	ErrNoLatest       = errors.New("the channel has no latest version")
	ErrBadLatest      = errors.New("the channel's latest is not a version")
)

// Error is a failure to list or resolve channels. It names the URL, what went
// wrong (Kind) and, when there is one, the step that fixes it.
type Error struct {
	// Op is what was being done: "list channels", `resolve channel "stable"`.
	Op  string
	URL string
	// Kind is one of the Err* values above.
	Kind error
	// Detail adds the specifics: the status, the first bytes of the page, the channel.
	Detail string
	// Fix is the next step for the user, empty when there is nothing better than retrying.
	Fix string
	// Err is the underlying cause (a net or TLS error), if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(" from ")
	b.WriteString(e.URL)
	b.WriteString(": ")
	kind := e.Kind.Error()
	if strings.HasPrefix(e.Op, "read ") {
		// Another document than the channel list (release data): the same failures, not
		// the channel server's.
		kind = strings.NewReplacer("the channel server", "the server", "a plain-HTTP channel server", "a plain-HTTP server",
			"not a channel list", "not the document").Replace(kind)
	}
	b.WriteString(kind)
	if e.Detail != "" {
		b.WriteString(" (")
		b.WriteString(e.Detail)
		b.WriteString(")")
	}
	if e.Fix != "" {
		b.WriteString("; ")
		b.WriteString(e.Fix)
	}
	return b.String()
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// snippet shows the first bytes of a body in an error message, on one line.
func snippet(b []byte) string {
	const max = 60
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
