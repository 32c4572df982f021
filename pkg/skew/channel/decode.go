package channel

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// collection is the wire form of GET /v1-release/channels: a Rancher API collection.
// Only what we use is declared; links, actions and the regexps are ignored.
type collection struct {
	Type         string `json:"type"`
	ResourceType string `json:"resourceType"`
	// Data is nil both when missing and when null: either way there is no list.
	Data *[]wireChannel `json:"data"`
}

type wireChannel struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Latest string `json:"latest"`
}

// maxChannelName bounds a name we would print; real ones are like "v1.32" or "stable".
const maxChannelName = 64

// Decode reads a channel list body. url names the source in errors and contentType
// is the response's Content-Type header ("" when unknown). It never panics.
func Decode(url, contentType string, body []byte) (*List, error) {
	const op = "list channels"
	fail := func(kind error, detail, fix string, cause error) (*List, error) {
		return nil, &Error{Op: op, URL: url, Kind: kind, Detail: detail, Fix: fix, Err: cause}
	}
	const fixURL = "check that the URL is a channel server's /v1-release/channels"

	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if isHTML(contentType, trimmed) {
		return fail(ErrHTMLPage, "starts "+fmt.Sprintf("%q", snippet(trimmed)), fixURL+" (a proxy or captive portal may answer HTML)", nil)
	}
	if len(trimmed) == 0 {
		return fail(ErrNotJSON, "empty body", fixURL, nil)
	}
	if trimmed[0] != '{' {
		if trimmed[0] == '[' {
			return fail(ErrMalformed, "a JSON array, not the collection object", fixURL, nil)
		}
		return fail(ErrNotJSON, "starts "+fmt.Sprintf("%q", snippet(trimmed)), fixURL, nil)
	}

	var coll collection
	if err := json.Unmarshal(trimmed, &coll); err != nil {
		return decodeFailure(fail, err, fixURL)
	}
	if coll.ResourceType != "" && coll.ResourceType != "channels" {
		return fail(ErrMalformed, fmt.Sprintf("resourceType is %q", snippet([]byte(coll.ResourceType))), fixURL, nil)
	}
	if coll.Data == nil {
		return fail(ErrNoData, "", fixURL, nil)
	}
	wire := *coll.Data

	list := &List{URL: url, Channels: make([]Channel, 0, len(wire))}
	seen := make(map[string]bool, len(wire))
	for i, w := range wire {
		name := strings.TrimSpace(w.Name)
		if name == "" {
			name = strings.TrimSpace(w.ID)
		}
		switch {
		case name == "":
			return fail(ErrMalformed, fmt.Sprintf("channel #%d has no name", i+1), "check the channel server's configuration", nil)
		case len(name) > maxChannelName || strings.ContainsFunc(name, isControl):
			return fail(ErrMalformed, fmt.Sprintf("channel #%d has an unprintable name %q", i+1, snippet([]byte(name))), "check the channel server's configuration", nil)
		case seen[name]:
			return fail(ErrMalformed, fmt.Sprintf("channel %q is listed twice", name), "check the channel server's configuration", nil)
		}
		seen[name] = true
		c := Channel{Name: name, Latest: strings.TrimSpace(w.Latest)}
		if c.Latest != "" {
			if v, err := version.Parse(c.Latest); err != nil {
				c.LatestError = err.Error()
				// Shown in tables as the server wrote it: short, on one line, and
				// without the control characters that would drive a terminal.
				c.Latest = strings.Map(func(r rune) rune {
					if isControl(r) {
						return '?'
					}
					return r
				}, snippet([]byte(c.Latest)))
			} else {
				c.Version = &v
			}
		}
		list.Channels = append(list.Channels, c)
	}
	return list, nil
}

func decodeFailure(fail func(error, string, string, error) (*List, error), err error, fix string) (*List, error) {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input"):
		return fail(ErrTruncated, "", "retry; if it persists, the server or a proxy cuts the answer short", err)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return fail(ErrMalformed, fmt.Sprintf("%s is a JSON %s, want %s", field, typ.Value, jsonKind(typ.Type)), fix, err)
	case errors.As(err, &syntax):
		return fail(ErrNotJSON, fmt.Sprintf("at byte %d: %s", syntax.Offset, syntax.Error()), fix, err)
	}
	return fail(ErrMalformed, err.Error(), fix, err)
}

// isHTML spots an HTML page by its Content-Type or its first byte: JSON never starts with "<".
func isHTML(contentType string, body []byte) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	return len(body) > 0 && body[0] == '<'
}

// jsonKind names a Go type as the JSON a user would have to write.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.Kind().String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
