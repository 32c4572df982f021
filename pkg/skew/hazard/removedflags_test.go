package hazard

import (
	"strings"
	"testing"
)

// TestRemovedFlagsTable checks the invariants callers rely on: one row per
// (component, flag), minors inside the range we track, a source for every
// row, and the documented order (oldest removal first).
func TestRemovedFlagsTable(t *testing.T) {
	components := map[string]bool{
		"kubelet": true, "kube-apiserver": true, "kube-controller-manager": true,
		"kube-scheduler": true, "kube-proxy": true,
	}
	seen := map[string]bool{}
	for i, f := range RemovedFlags {
		key := f.Component + " --" + f.Flag
		if seen[key] {
			t.Errorf("row %d: duplicate %s", i, key)
		}
		seen[key] = true
		if !components[f.Component] {
			t.Errorf("row %d: unknown component %q", i, f.Component)
		}
		if f.Flag == "" || strings.HasPrefix(f.Flag, "-") || strings.ContainsAny(f.Flag, " =") {
			t.Errorf("row %d: flag %q must be a bare name without dashes", i, f.Flag)
		}
		if f.Removed < 24 || f.Removed > 37 {
			t.Errorf("row %d (%s): removed minor %d outside 24..37", i, key, f.Removed)
		}
		if !strings.HasPrefix(f.Source, "https://github.com/kubernetes/kubernetes/") {
			t.Errorf("row %d (%s): source %q is not an upstream kubernetes URL", i, key, f.Source)
		}
		if f.Replacement == "" || strings.Contains(f.Replacement, "\n") {
			t.Errorf("row %d (%s): replacement must be one non-empty line", i, key)
		}
		if i > 0 && RemovedFlags[i-1].Removed > f.Removed {
			t.Errorf("row %d (%s): not sorted by removal minor", i, key)
		}
	}
}

// TestRemovedFlagsKnown pins removals other code and docs depend on, each
// checked against the CHANGELOG of its minor.
func TestRemovedFlagsKnown(t *testing.T) {
	want := []struct {
		component, flag string
		minor           int
	}{
		{"kubelet", "network-plugin", 24},
		{"kubelet", "container-runtime", 27},
		{"kubelet", "keep-terminated-pod-volumes", 31},
		{"kube-apiserver", "cloud-provider", 33},
		{"kubelet", "cloud-config", 34},
		{"kubelet", "pod-infra-container-image", 35},
	}
	for _, w := range want {
		found := false
		for _, f := range RemovedFlags {
			if f.Component == w.component && f.Flag == w.flag {
				found = true
				if f.Removed != w.minor {
					t.Errorf("%s --%s: removed %d, want %d", w.component, w.flag, f.Removed, w.minor)
				}
			}
		}
		if !found {
			t.Errorf("%s --%s missing", w.component, w.flag)
		}
	}
}

// TestRemovedFlagsOn: a hop lands on the removals of the minors after the one it
// starts from, up to and including the one it ends on (rows TestRemovedFlagsKnown pins).
func TestRemovedFlagsOn(t *testing.T) {
	lands := func(h Hop, flag string) bool {
		for _, r := range removedFlagsOn(h) {
			if r.Flag == flag {
				return true
			}
		}
		return false
	}
	for _, tt := range []struct {
		from, to, flag string
		want           bool
	}{
		{"v1.34.1+k3s1", "v1.35.0+k3s1", "pod-infra-container-image", true},
		{"v1.33.1+k3s1", "v1.35.0+k3s1", "cloud-config", true},
		{"v1.35.0+k3s1", "v1.35.2+k3s1", "pod-infra-container-image", false},
		{"v1.33.1+k3s1", "v1.34.1+k3s1", "pod-infra-container-image", false},
		{"v1.34.1+k3s1", "v1.35.0+k3s1", "cloud-config", false},
	} {
		if got := lands(hop(tt.from, tt.to), tt.flag); got != tt.want {
			t.Errorf("%s to %s lands on --%s: %v, want %v", tt.from, tt.to, tt.flag, got, tt.want)
		}
	}
}
