package hazard

import (
	"encoding/json"
	"fmt"
	"strings"
)

// NodeArgsAnnotations are where K3s and RKE2 record the arguments a node started with,
// config.yaml values included and secrets masked: a JSON array of strings written at
// every start (edits since the last start are invisible).
var NodeArgsAnnotations = []string{"k3s.io/node-args", "rke2.io/node-args"}

// Arg is one --flag value pair from node-args. Repeatable pass-through flags such as
// --kubelet-arg carry "name=value" in Value.
type Arg struct {
	Flag  string // without leading dashes
	Value string
}

// ParseNodeArgs reads a node-args annotation. It accepts both spellings K3s writes:
// "--flag", "value" and "--flag=value". Boolean flags followed by another flag get
// "true". The leading subcommand ("server", "agent") is skipped.
func ParseNodeArgs(raw string) ([]Arg, error) {
	var words []string
	if err := json.Unmarshal([]byte(raw), &words); err != nil {
		return nil, fmt.Errorf("not a JSON array of strings: %w", err)
	}
	var out []Arg
	for i := 0; i < len(words); i++ {
		w := words[i]
		if !strings.HasPrefix(w, "-") {
			continue // subcommand or a stray positional word
		}
		name := strings.TrimLeft(w, "-")
		if name == "" {
			continue
		}
		if k, v, ok := strings.Cut(name, "="); ok {
			if k != "" { // "-=" names no flag
				out = append(out, Arg{Flag: k, Value: v})
			}
			continue
		}
		// Pass-through flags (--kubelet-arg) always take a value, which may itself
		// start with dashes ("--kubelet-arg", "--max-pods=9").
		if i+1 < len(words) && (!strings.HasPrefix(words[i+1], "-") || strings.HasSuffix(name, "-arg")) {
			out = append(out, Arg{Flag: name, Value: words[i+1]})
			i++
			continue
		}
		out = append(out, Arg{Flag: name, Value: "true"})
	}
	return out, nil
}

// PassThrough returns the component flags a node passes through --<component>-arg
// (kubelet-arg, kube-apiserver-arg, kube-proxy-arg...), as name -> value.
func PassThrough(args []Arg, component string) map[string]string {
	out := map[string]string{}
	for _, a := range args {
		if a.Flag != component+"-arg" {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimLeft(a.Value, "-"), "=")
		out[k] = v
	}
	return out
}

// passThroughIndex is PassThrough for every component at once.
func passThroughIndex(args []Arg) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, a := range args {
		component, ok := strings.CutSuffix(a.Flag, "-arg")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(strings.TrimLeft(a.Value, "-"), "=")
		if out[component] == nil {
			out[component] = map[string]string{}
		}
		out[component][k] = v
	}
	return out
}

// Value returns the last value of a K3s/RKE2 flag (the last one wins, as in the CLI).
func Value(args []Arg, flag string) (string, bool) {
	v, ok := "", false
	for _, a := range args {
		if a.Flag == flag {
			v, ok = a.Value, true
		}
	}
	return v, ok
}
