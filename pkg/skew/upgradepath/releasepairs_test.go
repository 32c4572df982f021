package upgradepath

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestReleasePairs plans, for every pair of releases of one distribution the embedded
// data knows (from a release to a newer one at most three minors on), an HA cluster
// with an etcd-only server and an agent, through a channel server that lists the
// newest known release of each minor: no planned path moves an etcd member from etcd
// older than v3.5.26 to 3.6, or from 3.6 back to 3.5. A refusal must be one line naming
// the hazard.
func TestReleasePairs(t *testing.T) {
	x := release.Embedded()
	step := 1
	if testing.Short() {
		step = 7
	}
	for _, d := range []version.Distro{version.K3s, version.RKE2} {
		list := x.Releases(d)
		if len(list) == 0 {
			t.Fatalf("the embedded data has no %s release", d.Name())
		}
		channels := newestPerMinor(t, x, d)
		planned, refused, n := 0, 0, 0
		for i, a := range list {
			for _, b := range list[i+1:] {
				if b.Version.Minor-a.Version.Minor > 3 {
					break
				}
				if n++; n%step != 0 {
					continue
				}
				nodes := []string{"server s1 " + a.Version.String(), "server s2 " + a.Version.String(),
					"etcd e1 " + a.Version.String(), "agent w1 " + a.Version.String()}
				req := Request{Inventory: testworld.Inventory(t, nodes...), Version: &version.Target{Version: b.Version, Exact: true},
					Channels: channels, Releases: x}
				p, err := Find(req)
				if err != nil {
					if !errors.Is(err, ErrPatchMinimum) {
						t.Fatalf("%s -> %s: %v", a.Version, b.Version, err)
					}
					refused++
					continue
				}
				planned++
				if msg := checkPath(req, p); msg != "" {
					t.Fatalf("%s -> %s: %s\nhops: %q\nnotes: %q", a.Version, b.Version, msg, hopLines(p), p.Notes)
				}
			}
		}
		t.Logf("%s: %d pairs planned, %d refused", d.Name(), planned, refused)
		if planned == 0 {
			t.Errorf("%s: no pair planned", d.Name())
		}
	}
}

// newestPerMinor is a channel list naming the newest known release of each minor.
func newestPerMinor(t *testing.T, x *release.Index, d version.Distro) *channel.List {
	type entry struct {
		Name   string `json:"name"`
		Latest string `json:"latest"`
	}
	var data []entry
	seen := map[version.MinorVersion]bool{}
	for _, r := range x.Releases(d) {
		m := r.Version.MinorVersion()
		if !seen[m] {
			seen[m] = true
			data = append(data, entry{Name: channel.MinorChannelName(m), Latest: x.NewestOfMinor(d, m).Version.String()})
		}
	}
	body, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		t.Fatal(err)
	}
	l, err := channel.Decode(fmt.Sprintf("https://channels.test/%s", d), "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
