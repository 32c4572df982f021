package suc

import "testing"

func TestParseDrainBlock(t *testing.T) {
	cases := []struct {
		text string
		want DrainBlock
		ok   bool
	}{
		{`evicting pod default/web-1
error when evicting pods/"web-1" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.
error: unable to drain node "a-1" due to error: [error when evicting pods/"web-1" -n "default": global timeout reached: 5m0s], continuing command...`,
			DrainBlock{Pod: "default/web-1", Budget: true}, true},
		{`error: unable to drain node "a-2" due to error: cannot delete Pods that declare no controller (use --force to override): default/lonely, continuing command...`,
			DrainBlock{Pod: "default/lonely", Unmanaged: true}, true},
		{`error when evicting pods/"db-0" -n "data": global timeout reached: 1m0s`, DrainBlock{Pod: "data/db-0"}, true},
		{"BackoffLimitExceeded: Job has reached the specified backoff limit", DrainBlock{}, false},
		{"", DrainBlock{}, false},
	}
	for _, tc := range cases {
		got, ok := ParseDrainBlock(tc.text)
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseDrainBlock(%q) = %+v, %v; want %+v, %v", tc.text, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseDrainBlock(f *testing.F) {
	f.Add(`error when evicting pods/"web-1" -n "default": Cannot evict pod as it would violate the pod's disruption budget.`)
	f.Add(`cannot delete Pods that declare no controller (use --force to override): default/lonely`)
	f.Fuzz(func(t *testing.T, s string) { ParseDrainBlock(s) })
}
