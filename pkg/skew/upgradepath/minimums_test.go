package upgradepath

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
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

// TestPatchMinimums: both sides of each minimum patch the path must meet (node
// authorization at v1.32, etcd 3.6 at v1.34): the path moves the nodes to a patch at or
// above it first, agents alone when the servers are fine, or refuses naming the hazard.
func TestPatchMinimums(t *testing.T) {
	k3s := channelList(t, "v1.31.9+k3s1", "v1.32.12+k3s1", "v1.33.12+k3s1", "v1.34.9+k3s1")
	stale := channelList(t, "v1.31.4+k3s1", "v1.32.12+k3s1", "v1.33.6+k3s1", "v1.34.9+k3s1")
	tests := []struct {
		name    string
		nodes   []string
		target  string
		list    *channel.List
		accept  []string
		want    []string // hops: kind from>to servers/agents
		wantErr string
	}{
		{"agents on v1.31.5 need nothing", []string{"server s-1 v1.31.9+k3s1", "agent a-1 v1.31.5+k3s1"}, "v1.32.12+k3s1", k3s, nil,
			[]string{"minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"agents on v1.31.4 catch up with the servers first", []string{"server s-1 v1.31.9+k3s1", "agent a-1 v1.31.4+k3s1", "agent a-2 v1.31.9+k3s1"}, "v1.32.12+k3s1", k3s, nil,
			[]string{"agents v1.31.4+k3s1>v1.31.9+k3s1 s=0 a=1", "minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=2"}, ""},
		{"an agent on v1.30.8 too", []string{"server s-1 v1.31.9+k3s1", "agent a-1 v1.30.8+k3s1"}, "v1.32.12+k3s1", k3s, nil,
			[]string{"agents v1.30.8+k3s1>v1.31.9+k3s1 s=0 a=1", "minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"servers on v1.31.4 take the channel's patch first", []string{"server s-1 v1.31.4+k3s1", "agent a-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", k3s, nil,
			[]string{"patch v1.31.4+k3s1>v1.31.9+k3s1 s=1 a=1", "minor v1.31.9+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"the channel lacks the patch: refused", []string{"server s-1 v1.31.4+k3s1", "agent a-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", stale, nil,
			nil, `SKEW902 (node authorization by selectors): before the servers move to v1.32, s-1 (v1.31.4+k3s1) and a-1 (v1.31.4+k3s1) must run at least the v1.31 patch v1.31.5; channel "v1.31" at https://channels.test/v1-release/channels lists only v1.31.4+k3s1`},
		{"accepted: the path goes on", []string{"server s-1 v1.31.4+k3s1", "agent a-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", stale, []string{"SKEW902"},
			[]string{"minor v1.31.4+k3s1>v1.32.12+k3s1 s=1 a=1"}, ""},
		{"servers on v1.33.7 may go to v1.34", []string{"server s-1 v1.33.7+k3s1", "agent a-1 v1.33.6+k3s1"}, "v1.34.9+k3s1", k3s, nil,
			[]string{"minor v1.33.7+k3s1>v1.34.9+k3s1 s=1 a=1"}, ""},
		{"servers on v1.33.6 take v1.33.12 first", []string{"server s-1 v1.33.6+k3s1", "server s-2 v1.33.6+k3s1", "agent a-1 v1.33.6+k3s1"}, "v1.34.9+k3s1", k3s, nil,
			[]string{"patch v1.33.6+k3s1>v1.33.12+k3s1 s=2 a=1", "minor v1.33.12+k3s1>v1.34.9+k3s1 s=2 a=1"}, ""},
		{"etcd: the v1.33 channel lacks the patch", []string{"server s-1 v1.33.6+k3s1"}, "v1.34.9+k3s1", stale, nil,
			nil, "SKEW903 (etcd 3.6)"},
		{"a path from v1.32 takes the channel's v1.33, which has etcd v3.5.26", []string{"server s-1 v1.32.3+k3s1", "agent a-1 v1.32.3+k3s1"}, "v1.34.9+k3s1", k3s, nil,
			[]string{"minor v1.32.3+k3s1>v1.33.12+k3s1 s=1 a=1", "minor v1.33.12+k3s1>v1.34.9+k3s1 s=1 a=1"}, ""},
		{"a path through a stale v1.33 channel is refused", []string{"server s-1 v1.32.3+k3s1"}, "v1.34.9+k3s1", stale, nil,
			nil, `channel "v1.33" at https://channels.test/v1-release/channels lists only v1.33.6+k3s1`},
		{"no channel server: it is asked for", []string{"server s-1 v1.31.4+k3s1"}, "v1.32.12+k3s1", nil, nil,
			nil, "comes from the channel server"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Inventory: testworld.Inventory(t, tc.nodes...), Version: testworld.Target(t, tc.target), Channels: tc.list, AcceptHazards: tc.accept}
			p, err := Find(req)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrPatchMinimum) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want ErrPatchMinimum saying %q", err, tc.wantErr)
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
