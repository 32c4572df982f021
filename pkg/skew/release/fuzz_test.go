package release

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// FuzzDecode: on any input Decode never panics and fails with one line of ErrBadData;
// whatever it accepts re-encodes (Encode) into data that decodes to the same releases,
// and is then Encode's fixed point. The index over it answers without panicking.
//
//	go test ./pkg/skew/release -fuzz FuzzDecode
func FuzzDecode(f *testing.F) {
	// The embedded file's first rows, of both distributions.
	lines := strings.Split(string(embedded), "\n")
	head := strings.Join(lines[:4], "\n")
	f.Add([]byte(strings.TrimSuffix(head, ",") + "\n]}\n"))
	for _, l := range lines {
		if strings.Contains(l, "+rke2r") {
			f.Add([]byte(lines[0] + "\n" + strings.TrimSuffix(l, ",") + "\n]}\n"))
			break
		}
	}
	f.Add(testFile(f, testRow()))
	f.Add(Encode(nil))
	f.Add(withRow(f, func(r map[string]any) { r["version"] = "1.33.7+k3s01" }))
	f.Add(withRow(f, func(r map[string]any) { r["version"] = "v1.33.7-rc.1+rke2r2"; delete(components(r), Kubernetes) }))
	// Seeds stay small: the fuzzer spends up to a minute minimizing each new input found
	// from a seed, and the bounds' cases (megabytes) would only slow it.
	for _, tc := range rejectCases(f) {
		if len(tc.in) <= 4<<10 {
			f.Add(tc.in)
		}
	}
	f.Add(withRow(f, func(r map[string]any) { r["date"] = strings.Repeat("9", 300) }))
	f.Add(withRow(f, func(r map[string]any) { source(r)["path"] = strings.Repeat("p", maxField+1) }))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrBadData) || strings.ContainsAny(err.Error(), "\n\r") || len(err.Error()) > 400 {
				t.Fatalf("not one short line of ErrBadData: %q", err)
			}
			return
		}
		for _, r := range rs {
			if !r.Version.Distro.IsRancherDistro() || len(r.Components) == 0 {
				t.Fatalf("accepted %s with %d components", r.Version, len(r.Components))
			}
		}
		out := Encode(rs)
		back, err := Decode(out)
		if err != nil {
			t.Fatalf("Encode's output does not decode: %v\n%s", err, out)
		}
		if !sameReleases(rs, back) {
			t.Fatalf("Decode(Encode(rs)) differs from rs:\n%s", out)
		}
		if again := Encode(back); !bytes.Equal(again, out) {
			t.Fatalf("Encode is not a fixed point:\n%s\nthen\n%s", out, again)
		}
		x := NewIndex(rs, "fuzz")
		for _, r := range rs {
			if got, ok := x.Lookup(r.Version); !ok || got != r {
				t.Fatalf("Lookup(%s) does not find it", r.Version)
			}
			for _, c := range r.ComponentNames() {
				if s := x.Span(r.Version, c); !s.Known {
					t.Fatalf("Span(%s, %s) is not known", r.Version, c)
				}
			}
			next := r.Version
			next.Patch++
			x.Span(version.MustParse(next.MinorString()+".0+"+next.Build), Etcd)
			_ = x.Unknown(next)
			_ = x.NewestOfMinor(r.Version.Distro, r.Version.MinorVersion())
		}
	})
}
