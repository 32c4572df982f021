package check

import (
	"testing"
	"time"
)

// Each context's deadline: --context-timeout when given, else a given
// --request-timeout (so that no cluster holds the fleet up past it), else 60s.
func TestFleetContextTimeout(t *testing.T) {
	for _, tc := range []struct {
		name           string
		changed        []string
		contextTimeout time.Duration
		requestTimeout string
		want           time.Duration
	}{
		{"neither given", nil, 60 * time.Second, "", 60 * time.Second},
		{"--request-timeout given", []string{"request-timeout"}, 60 * time.Second, "5s", 5 * time.Second},
		{"--request-timeout in whole seconds", []string{"request-timeout"}, 60 * time.Second, "7", 7 * time.Second},
		{"--request-timeout 0 is no timeout: the default stays", []string{"request-timeout"}, 60 * time.Second, "0", 60 * time.Second},
		{"--request-timeout unparsable: left to the client's error", []string{"request-timeout"}, 60 * time.Second, "soon", 60 * time.Second},
		{"--context-timeout given wins", []string{"context-timeout", "request-timeout"}, 20 * time.Second, "5s", 20 * time.Second},
		{"--context-timeout alone", []string{"context-timeout"}, 90 * time.Second, "", 90 * time.Second},
	} {
		f := &fleetFlags{ContextTimeout: tc.contextTimeout}
		changed := func(name string) bool {
			for _, c := range tc.changed {
				if c == name {
					return true
				}
			}
			return false
		}
		if got := f.contextTimeout(changed, tc.requestTimeout); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
