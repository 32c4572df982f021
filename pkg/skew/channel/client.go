package channel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults of Options; a channel list is a few kilobytes and served from a CDN.
const (
	DefaultConnectTimeout = 5 * time.Second
	DefaultAttemptTimeout = 10 * time.Second
	DefaultTimeout        = 30 * time.Second
	DefaultMaxBytes       = 1 << 20
	DefaultRetries        = 3
	DefaultBackoff        = 500 * time.Millisecond
	maxRedirects          = 5
)

// Options configure a Client. Zero values take the defaults above.
type Options struct {
	// URL of the channel list; see NormalizeURL.
	URL string
	// ConnectTimeout bounds the TCP connect and the TLS handshake.
	ConnectTimeout time.Duration
	// AttemptTimeout bounds one request, body included.
	AttemptTimeout time.Duration
	// Timeout bounds the whole call, retries and backoff included.
	Timeout time.Duration
	// MaxBytes is the largest body accepted.
	MaxBytes int64
	// Retries is how many times a 5xx or a timeout is retried; negative means none.
	Retries int
	// Backoff is the first wait between attempts; it doubles each time, with jitter.
	Backoff time.Duration
	// RootCAs replaces the system roots; nil keeps them (tests and private mirrors).
	RootCAs *x509.CertPool
	// UserAgent is sent as User-Agent.
	UserAgent string
	// Document, when set, reads that document instead of a channel list (release data):
	// the URL is taken as given, and errors name the document and Flag.
	Document string
	// Flag is the flag that names the URL, for the fixes errors suggest.
	Flag string
}

// Client reads one channel server.
type Client struct {
	url  string
	opts Options
	http *http.Client
}

// New checks the options and builds a client. The transport takes proxies from the
// environment (HTTPS_PROXY, NO_PROXY) like kubectl does.
func New(opts Options) (*Client, error) {
	if opts.Flag == "" {
		opts.Flag = "--channel-server"
	}
	u, err := NormalizeURL(opts.URL)
	if opts.Document != "" {
		u, err = checkURL(opts.URL, opts.Document)
	}
	if err != nil {
		return nil, err
	}
	setDefault(&opts.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&opts.AttemptTimeout, DefaultAttemptTimeout)
	setDefault(&opts.Timeout, DefaultTimeout)
	setDefault(&opts.Backoff, DefaultBackoff)
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Retries == 0 {
		opts.Retries = DefaultRetries
	} else if opts.Retries < 0 {
		opts.Retries = 0
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "kubectl-skew"
	}
	dialer := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs},
		TLSHandshakeTimeout:   opts.ConnectTimeout,
		ResponseHeaderTimeout: opts.AttemptTimeout,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2,
		IdleConnTimeout:       30 * time.Second,
	}
	c := &Client{url: u, opts: opts}
	c.http = &http.Client{Transport: transport, CheckRedirect: checkRedirect}
	return c, nil
}

func setDefault(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// URL is the normalized URL the client reads.
func (c *Client) URL() string { return c.url }

// op names what the client does, in errors.
func (c *Client) op() string {
	if c.opts.Document != "" {
		return "read " + c.opts.Document
	}
	return "list channels"
}

// List fetches and decodes the channel list.
func (c *Client) List(ctx context.Context) (*List, error) {
	body, contentType, err := c.get(ctx)
	if err != nil {
		return nil, err
	}
	return Decode(c.url, contentType, body)
}

// Get fetches the document with the client's bounds and retries.
func (c *Client) Get(ctx context.Context) ([]byte, error) {
	body, _, err := c.get(ctx)
	return body, err
}

func (c *Client) get(ctx context.Context) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	var lastErr error
	attempts := 0
	for attempts <= c.opts.Retries {
		if attempts > 0 {
			if err := sleep(ctx, c.backoff(attempts)); err != nil {
				break
			}
		}
		body, contentType, err := c.fetch(ctx)
		attempts++
		if err == nil {
			return body, contentType, nil
		}
		lastErr = err
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	if attempts > 1 {
		lastErr = withAttempts(lastErr, attempts)
	}
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) && !errors.Is(lastErr, ErrHTTPStatus) {
		return nil, "", &Error{Op: c.op(), URL: c.url, Kind: ErrTimeout,
			Detail: "gave up after " + c.opts.Timeout.String(),
			Fix:    "check the network or the proxy (HTTPS_PROXY), or use a reachable mirror with " + c.opts.Flag, Err: lastErr}
	}
	return nil, "", lastErr
}

// Resolve fetches the list and resolves one channel.
func (c *Client) Resolve(ctx context.Context, name string) (*List, Channel, error) {
	list, err := c.List(ctx)
	if err != nil {
		return nil, Channel{}, err
	}
	if _, err := list.Resolve(name); err != nil {
		return list, Channel{}, err
	}
	ch, _ := list.Get(name)
	return list, ch, nil
}

// withAttempts notes in a final error that it was retried.
func withAttempts(err error, n int) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	out := *e
	out.Detail = strings.TrimPrefix(out.Detail+", ", ", ") + fmt.Sprintf("%d attempts", n)
	return &out
}

// attemptError marks a failure worth another try.
type attemptError struct{ error }

func (e attemptError) Unwrap() error { return e.error }

func retryable(err error) bool {
	var a attemptError
	return errors.As(err, &a)
}

// fetch makes one request and reads at most MaxBytes of the body.
func (c *Client) fetch(parent context.Context) ([]byte, string, error) {
	op := c.op()
	ctx, cancel := context.WithTimeout(parent, c.opts.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, "", fmt.Errorf("%s from %s: build request: %w", op, c.url, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opts.UserAgent)

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", c.transportError(err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusNotFound:
		fix := "check the URL: the list is served at " + Path
		if c.opts.Document != "" {
			fix = "check the URL"
		}
		return nil, "", &Error{Op: op, URL: c.url, Kind: ErrNotFound, Fix: fix}
	case resp.StatusCode >= 500:
		return nil, "", attemptError{&Error{Op: op, URL: c.url, Kind: ErrHTTPStatus, Detail: resp.Status,
			Fix: "the server failed; retry later or use a mirror with " + c.opts.Flag}}
	case resp.StatusCode != http.StatusOK:
		return nil, "", &Error{Op: op, URL: c.url, Kind: ErrHTTPStatus, Detail: resp.Status,
			Fix: "check the URL and any proxy between here and the server"}
	}
	if resp.ContentLength > c.opts.MaxBytes {
		return nil, "", c.tooLarge("Content-Length " + strconv.FormatInt(resp.ContentLength, 10))
	}
	// One byte past the limit tells a body of exactly MaxBytes from a longer one.
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBytes+1))
	// A deadline that fires mid-body can surface as a clean EOF: trust the context, not the read.
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, "", c.transportError(ctxErr)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, "", &Error{Op: op, URL: c.url, Kind: ErrTruncated, Detail: "the connection closed mid-body", Err: err,
			Fix: "retry; if it persists, the server or a proxy cuts the answer short"}
	}
	if err != nil {
		return nil, "", c.transportError(err)
	}
	if int64(len(body)) > c.opts.MaxBytes {
		return nil, "", c.tooLarge("")
	}
	return body, resp.Header.Get("Content-Type"), nil
}

func (c *Client) tooLarge(detail string) error {
	d := "limit " + strconv.FormatInt(c.opts.MaxBytes, 10) + " bytes"
	if detail != "" {
		d = detail + ", " + d
	}
	fix := "check the URL: a channel list is a few kilobytes"
	if c.opts.Document != "" {
		fix = "check the URL"
	}
	return &Error{Op: c.op(), URL: c.url, Kind: ErrTooLarge, Detail: d, Fix: fix}
}

// transportError sorts a failed request into timeouts (retried), TLS failures,
// redirect loops and unreachable servers.
func (c *Client) transportError(err error) error {
	op := c.op()
	var (
		unknownCA   x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		verifyErr   *tls.CertificateVerificationError
		recordError tls.RecordHeaderError
		netErr      net.Error
	)
	switch {
	case errors.Is(err, ErrRedirectLoop):
		return &Error{Op: op, URL: c.url, Kind: ErrRedirectLoop, Detail: innermost(err),
			Fix: "check the URL and the server's redirects"}
	case errors.Is(err, ErrInsecure):
		return &Error{Op: op, URL: c.url, Kind: ErrInsecure, Detail: innermost(err),
			Fix: "the server redirects to plain HTTP; serve the mirror over HTTPS"}
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verifyErr):
		return &Error{Op: op, URL: c.url, Kind: ErrTLS, Detail: innermost(err), Err: err,
			Fix: "for a mirror with a private CA, add the CA to the system trust store or point SSL_CERT_FILE at it"}
	// net/http turns a plain-HTTP answer to a TLS hello into a bare string error.
	case errors.As(err, &recordError) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return &Error{Op: op, URL: c.url, Kind: ErrTLS, Detail: "the server does not speak TLS", Err: err,
			Fix: "check the URL's scheme and port"}
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return attemptError{&Error{Op: op, URL: c.url, Kind: ErrTimeout,
			Detail: "one attempt took over " + c.opts.AttemptTimeout.String(), Err: err,
			Fix: "check the network or the proxy (HTTPS_PROXY)"}}
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s from %s: interrupted: %w", op, c.url, err)
	}
	fix := "check the URL, the network and the proxy (HTTPS_PROXY); air-gapped clusters can use " + c.opts.Flag + " or an exact --version"
	if c.opts.Document != "" {
		fix = "check the URL, the network and the proxy (HTTPS_PROXY), or download it and give " + c.opts.Flag + " the file"
	}
	return &Error{Op: op, URL: c.url, Kind: ErrUnreachable, Detail: innermost(err), Err: err, Fix: fix}
}

// checkRedirect follows a few redirects, never in a circle and never from HTTPS down to HTTP.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("%w: stopped after %d redirects, the last to %s", ErrRedirectLoop, len(via), req.URL.Redacted())
	}
	for _, prev := range via {
		if prev.URL.String() == req.URL.String() {
			return fmt.Errorf("%w: %s redirects back to itself", ErrRedirectLoop, req.URL.Redacted())
		}
	}
	if req.URL.Scheme == "http" && !isLoopback(req.URL.Hostname()) {
		return fmt.Errorf("%w: redirected to %s", ErrInsecure, req.URL.Redacted())
	}
	return nil
}

// backoff is Backoff * 2^(attempt-1) with ±20% jitter, so clients that failed together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.Backoff << (attempt - 1)
	jitter := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * jitter)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// innermost is the last message in an error chain ("x509: certificate signed by unknown authority").
func innermost(err error) string {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		// A redirect error wraps our sentinel; its own detail is the useful part.
		if next == ErrRedirectLoop || next == ErrInsecure {
			return strings.TrimPrefix(err.Error(), next.Error()+": ")
		}
		err = next
	}
}
