package upgradepath

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
)

// channelList is a channel server listing one release per minor channel.
func channelList(t *testing.T, releases ...string) *channel.List {
	t.Helper()
	type entry struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Latest string `json:"latest"`
	}
	doc := struct {
		Type string  `json:"type"`
		Data []entry `json:"data"`
	}{Type: "collection"}
	for _, r := range releases {
		minor := r[:strings.LastIndex(r[:strings.Index(r, "+")], ".")]
		doc.Data = append(doc.Data, entry{ID: minor, Name: minor, Latest: r})
	}
	body, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	l, err := channel.Decode("https://channels.test/v1-release/channels", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fixtureReleases are the releases TestPatchMinimums reasons about, with the etcd each
// ships (the shape of the real K3s data: 3.5.26 arrives in re-releases of v1.32.11 and
// v1.33.7, 3.6 inside v1.33).
func fixtureReleases(t *testing.T) *release.Index {
	return testworld.Releases(t,
		"v1.30.8+k3s1 etcd=v3.5.15-k3s1", "v1.31.4+k3s1 etcd=v3.5.15-k3s1", "v1.31.5+k3s1 etcd=v3.5.16-k3s1",
		"v1.31.9+k3s1 etcd=v3.5.21-k3s1", "v1.32.3+k3s1 etcd=v3.5.21-k3s1", "v1.32.11+k3s1 etcd=v3.5.25-k3s1",
		"v1.32.11+k3s3 etcd=v3.5.26-k3s1", "v1.32.12+k3s1 etcd=v3.5.26-k3s1",
		"v1.33.6+k3s1 etcd=v3.5.21-k3s1", "v1.33.7+k3s1 etcd=v3.5.25-k3s1", "v1.33.7+k3s3 etcd=v3.5.26-k3s1",
		"v1.33.10+k3s1 etcd=v3.5.26-k3s1", "v1.33.12+k3s1 etcd=v3.6.7-k3s1", "v1.34.9+k3s1 etcd=v3.6.12-k3s1",
	)
}

// TestPatchMinimums: both sides of each minimum the path must meet (node authorization
// at v1.32, etcd 3.6 wherever a release brings it): the path moves the nodes to a
// stepping stone first, agents alone when the servers are fine, or refuses naming the
// hazard.
func TestPatchMinimums(t *testing.T) {
	k3s := channelList(t, "v1.31.9+k3s1", "v1.32.12+k3s1", "v1.33.12+k3s1", "v1.34.9+k3s1")
	stale := channelList(t, "v1.31.4+k3s1", "v1.32.12+k3s1", "v1.33.6+k3s1", "v1.34.9+k3s1")
	data := fixtureReleases(t)
	noStones := testworld.Releases(t, "v1.31.4+k3s1 etcd=v3.5.15-k3s1", "v1.32.12+k3s1 etcd=v3.5.21-k3s1",
		"v1.33.6+k3s1 etcd=v3.5.21-k3s1", "v1.34.9+k3s1 etcd=v3.6.12-k3s1")
	tests := []struct {
		name    string
		nodes   []string
		target  string
		list    *channel.List
		data    *release.Index
		accept  []string
		want    []string // hops: kind from>to servers/agents
		wantErr string
	}{
		{"agents on v1.31.5 need nothing", []string{"server s-1 v1.31.9+k3s1", "agent a-1 v1.31.5+k3s1"}, "v1.32.12+k3s1", k3s, data, nil,
			[]string{"minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"agents on v1.31.4 catch up with the servers first", []string{"server s-1 v1.31.9+k3s1", "agent a-1 v1.31.4+k3s1", "agent a-2 v1.31.9+k3s1"}, "v1.32.12+k3s1", k3s, data, nil,
			[]string{"agents v1.31.4+k3s1>v1.31.9+k3s1 s=0 a=1", "minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=2"}, ""},
		{"an agent on v1.30.8 too", []string{"server s-1 v1.31.9+k3s1", "agent a-1 v1.30.8+k3s1"}, "v1.32.12+k3s1", k3s, data, nil,
			[]string{"agents v1.30.8+k3s1>v1.31.9+k3s1 s=0 a=1", "minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"servers on v1.31.4 take the channel's patch first", []string{"server s-1 v1.31.4+k3s1", "agent a-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", k3s, data, nil,
			[]string{"patch v1.31.4+k3s1>v1.31.9+k3s1 s=1 a=1", "minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"the channel lacks the patch: the release data has one", []string{"server s-1 v1.31.4+k3s1", "agent a-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", stale, data, nil,
			[]string{"patch v1.31.4+k3s1>v1.31.9+k3s1 s=1 a=1", "minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"neither has the patch: refused", []string{"server s-1 v1.31.4+k3s1", "agent a-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", stale, noStones, nil,
			nil, `SKEW902 (node authorization by selectors): before the servers move to v1.32.12+k3s1, s-1 (v1.31.4+k3s1) and a-1 (v1.31.4+k3s1) must run v1.31.5 or a later v1.31 patch; the release data and channel server https://channels.test/v1-release/channels know no v1.31 and v1.32 release that meets it`},
		{"accepted: the path goes on", []string{"server s-1 v1.31.4+k3s1", "agent a-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", stale, noStones, []string{"SKEW902"},
			[]string{"minor v1.31.4+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"servers on v1.33.7+k3s3 (etcd v3.5.26) may go to v1.34", []string{"server s-1 v1.33.7+k3s3", "agent a-1 v1.33.6+k3s1"}, "v1.34.9+k3s1", k3s, data, nil,
			[]string{"minor v1.33.7+k3s3>v1.34.9+k3s1 s=1 a=1"}, ""},
		{"servers on v1.33.7+k3s1 (etcd v3.5.25) step to the newest v1.33 with etcd 3.5.26", []string{"server s-1 v1.33.7+k3s1", "agent a-1 v1.33.6+k3s1"}, "v1.34.9+k3s1", k3s, data, nil,
			[]string{"patch v1.33.7+k3s1>v1.33.10+k3s1 s=1 a=1", "minor v1.33.10+k3s1>v1.34.9+k3s1 s=1 a=1"}, ""},
		{"the channel's v1.33 brings etcd 3.6: never a stone", []string{"server s-1 v1.33.6+k3s1", "server s-2 v1.33.6+k3s1", "agent a-1 v1.33.6+k3s1"}, "v1.33.12+k3s1", k3s, data, nil,
			[]string{"patch v1.33.6+k3s1>v1.33.10+k3s1 s=2 a=1", "patch v1.33.10+k3s1>v1.33.12+k3s1 s=2 a=1"}, ""},
		{"etcd: no release has 3.5.26: refused", []string{"server s-1 v1.33.6+k3s1"}, "v1.34.9+k3s1", stale, noStones, nil,
			nil, "SKEW903 (etcd 3.6)"},
		{"a path from v1.32 steps to v1.32.12 before the channel's v1.33, which has etcd 3.6", []string{"server s-1 v1.32.3+k3s1", "agent a-1 v1.32.3+k3s1"}, "v1.34.9+k3s1", k3s, data, nil,
			[]string{"patch v1.32.3+k3s1>v1.32.12+k3s1 s=1 a=1", "minor v1.32.12+k3s1>v1.33.12+k3s1 s=1 a=1", "minor v1.33.12+k3s1>v1.34.9+k3s1 s=1 a=1"}, ""},
		{"a hop to a release the data does not know gets a stone too", []string{"server s-1 v1.33.6+k3s1"}, "v1.33.13+k3s2", nil, data, nil,
			[]string{"patch v1.33.6+k3s1>v1.33.10+k3s1 s=1 a=0", "patch v1.33.10+k3s1>v1.33.13+k3s2 s=1 a=0"}, ""},
		{"etcd 3.6 back to 3.5: refused", []string{"server s-1 v1.33.12+k3s1"}, "v1.33.13+k3s1", nil,
			testworld.Releases(t, "v1.33.12+k3s1 etcd=v3.6.7-k3s1", "v1.33.13+k3s1 etcd=v3.5.26-k3s1"), nil,
			nil, "etcd cannot go back"},
		{"accepted SKEW903: the path goes on", []string{"server s-1 v1.33.7+k3s1"}, "v1.34.9+k3s1", k3s, data, []string{"SKEW903"},
			[]string{"minor v1.33.7+k3s1>v1.34.9+k3s1 s=1 a=0"}, ""},
		{"no channel server: it is asked for", []string{"server s-1 v1.31.4+k3s1"}, "v1.33.12+k3s1", nil, data, nil,
			nil, "comes from the channel server"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Inventory: testworld.Inventory(t, tc.nodes...), Version: testworld.Target(t, tc.target), Channels: tc.list,
				AcceptHazards: tc.accept, Releases: tc.data}
			p, err := Find(req)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := hopLines(p); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("hops\n%s\nwant\n%s\nnotes %q", strings.Join(got, "\n"), strings.Join(tc.want, "\n"), p.Notes)
			}
		})
	}
}
