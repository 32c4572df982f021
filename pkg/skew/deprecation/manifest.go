package deprecation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Doc is one Kubernetes object a manifest describes.
type Doc struct {
	APIVersion, Kind, Namespace, Name string
	// Index counts the documents that hold something, from 1. Items of a List share
	// the List's index.
	Index int
	// Template is the file Helm rendered the document from (its "# Source:" comment).
	Template string
}

// DocProblem is a document that could not be read.
type DocProblem struct {
	Index    int
	Template string
	Reason   string
}

// head is what we read of a document; everything else is skipped.
type head struct {
	APIVersion string `json:"apiVersion" yaml:"apiVersion"`
	Kind       string `json:"kind" yaml:"kind"`
	Metadata   struct {
		Name      string `json:"name" yaml:"name"`
		Namespace string `json:"namespace" yaml:"namespace"`
	} `json:"metadata" yaml:"metadata"`
	Items []head `json:"items" yaml:"items"`
}

// ReadManifest reads YAML (several documents separated by "---") or JSON (one value,
// an array, or a stream of values), as kubectl apply -f would. A document that does not
// parse is a problem of its own; the others are still read. A document without
// apiVersion and kind is not an object and is skipped.
func ReadManifest(b []byte) ([]Doc, []DocProblem) {
	trimmed := bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		return readJSON(trimmed)
	}
	var docs []Doc
	var problems []DocProblem
	index := 0
	for _, chunk := range splitYAML(b) {
		template, empty := inspect(chunk)
		if empty {
			continue
		}
		index++
		var h head
		if err := decodeYAML(chunk, &h); err != nil {
			reason := err.Error()
			if err != errNotObject {
				reason = "not YAML: " + firstLine(reason)
			}
			problems = append(problems, DocProblem{Index: index, Template: template, Reason: reason})
			continue
		}
		docs = h.collect(docs, index, template)
	}
	return docs, problems
}

func readJSON(b []byte) ([]Doc, []DocProblem) {
	var docs []Doc
	dec := json.NewDecoder(bytes.NewReader(b))
	for index := 1; ; index++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return docs, []DocProblem{{Index: index, Reason: "not JSON: " + firstLine(err.Error())}}
		}
		var values []head
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			err = json.Unmarshal(raw, &values)
		} else {
			values = make([]head, 1)
			err = json.Unmarshal(raw, &values[0])
		}
		if err != nil {
			return docs, []DocProblem{{Index: index, Reason: "not a Kubernetes object: " + firstLine(err.Error())}}
		}
		for _, h := range values {
			docs = h.collect(docs, index, "")
		}
	}
}

// collect appends the document, or the items of a List, that name an apiVersion and kind.
func (h *head) collect(docs []Doc, index int, template string) []Doc {
	if strings.HasSuffix(h.Kind, "List") && len(h.Items) > 0 {
		for i := range h.Items {
			docs = h.Items[i].collect(docs, index, template)
		}
		return docs
	}
	if h.APIVersion == "" || h.Kind == "" {
		return docs
	}
	return append(docs, Doc{APIVersion: h.APIVersion, Kind: h.Kind, Namespace: h.Metadata.Namespace, Name: h.Metadata.Name, Index: index, Template: template})
}

// decodeYAML decodes one document; a panic in the parser on hostile input becomes an error.
func decodeYAML(doc []byte, into *head) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the YAML parser failed: %v", r)
		}
	}()
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return err
	}
	if len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		return errNotObject
	}
	return n.Content[0].Decode(into)
}

var errNotObject = errors.New("not a Kubernetes object (a mapping with apiVersion and kind)")

// splitYAML cuts a stream at its "---" lines.
func splitYAML(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i <= len(b); {
		end := bytes.IndexByte(b[i:], '\n')
		if end < 0 {
			end = len(b)
		} else {
			end += i
		}
		if isSeparator(b[i:end]) {
			out = append(out, b[start:i])
			start = min(end+1, len(b))
		}
		i = end + 1
	}
	return append(out, b[start:])
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := bytes.TrimSpace(line[3:])
	return len(rest) == 0 || rest[0] == '#'
}

// inspect finds Helm's "# Source: chart/templates/x.yaml" comment and whether the
// document holds anything but comments and blank lines.
func inspect(doc []byte) (template string, empty bool) {
	empty = true
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0:
		case t[0] == '#':
			if s, ok := bytes.CutPrefix(t, []byte("# Source: ")); ok && template == "" {
				template = string(bytes.TrimSpace(s))
			}
		default:
			return template, false
		}
	}
	return template, empty
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
