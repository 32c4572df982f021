package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/test/channelserver"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// onVersion sets every node of the scenario to one release.
func onVersion(v string) func(*scenarios.Scenario) {
	return func(s *scenarios.Scenario) {
		for i := range s.Nodes {
			s.Nodes[i].Kubelet, s.Nodes[i].Kubelets = v, nil
		}
	}
}

// TestPathMeetsNodeAuthorizationMinimum: agents on v1.31.4+k3s1 are below the patch
// node authorization needs under v1.32 servers (SKEW902). The path moves them to the
// channel's v1.31 patch before any server reaches v1.32; where the channel's v1.31 is
// itself below the minimum, plan refuses in one line naming the hazard and the channel.
func TestPathMeetsNodeAuthorizationMinimum(t *testing.T) {
	fresh(t, "k3s-healthy-ha", func(s *scenarios.Scenario) {
		for i := range s.Nodes {
			s.Nodes[i].Kubelet, s.Nodes[i].Kubelets = "v1.31.13+k3s1", nil
			if s.Nodes[i].Role == scenarios.Agent {
				s.Nodes[i].Kubelet = "v1.31.4+k3s1"
			}
		}
	})
	rep, j := planJSON(t, "--channel", "stable", "--channel-server", k3sChannels())
	if j.code != 0 || len(rep.Hops) < 2 {
		t.Fatalf("plan: %s", j)
	}
	first := rep.Hops[0]
	if first.Kind != "agents" || first.To != "v1.31.13+k3s1" || len(first.Servers) != 0 || len(first.Agents) == 0 || !strings.Contains(first.Source, "SKEW902") {
		t.Errorf("hop 1 should move the agents alone to v1.31.13+k3s1 for SKEW902: %+v\n%s", first, j)
	}
	for _, h := range rep.Hops[1:] {
		if len(h.Servers) > 0 && h.To == "v1.32.11+k3s3" {
			break
		}
		if len(h.Servers) > 0 {
			t.Errorf("the first server hop after the catch-up goes to %s, want v1.32.11+k3s3", h.To)
			break
		}
	}
}

// TestPlanRefusesWhenTheChannelLacksTheMinimum: a channel server whose v1.31 release
// is itself below the node-authorization patch, and release data that knows no v1.31
// or v1.32 release above it either: plan refuses in one line naming SKEW902, where it
// looked and the minimum. With the embedded data the path takes a v1.31 stone instead.
func TestPlanRefusesWhenTheChannelLacksTheMinimum(t *testing.T) {
	body, err := os.ReadFile(filepath.Join(env.root, "test", "testdata", "channels", "k3s.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc["data"].([]any) {
		if m := c.(map[string]any); m["name"] == "v1.31" {
			m["latest"] = "v1.31.4+k3s1"
		}
	}
	stale := filepath.Join(t.TempDir(), "k3s.json")
	body, err = json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, stale, body)
	srv, err := channelserver.Start(channelserver.Options{Fixture: stale})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	fresh(t, "k3s-healthy-ha", onVersion("v1.31.4+k3s1"))
	data := releaseData(t, `{"version":"v1.31.4+k3s1","components":{"etcd":"v3.5.16-k3s1"},"source":{"url":"https://releases.test/a"}}`,
		`{"version":"v1.32.11+k3s3","components":{"etcd":"v3.5.26-k3s1"},"source":{"url":"https://releases.test/b"}}`)
	r := skew(t, "plan", "--version", "v1.32.11+k3s3", "--channel-server", srv.URL+channelserver.ListPath, "--release-data", data)
	if r.code != 1 || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, "SKEW902") || !strings.Contains(r.stderr, "channel server "+srv.URL) || !strings.Contains(r.stderr, "v1.31.5") {
		t.Errorf("plan must refuse in one line naming SKEW902, where it looked and the minimum:\n%s", r)
	}
	rep, j := planJSON(t, "--version", "v1.32.11+k3s3", "--channel-server", srv.URL+channelserver.ListPath)
	if j.code != 0 || len(rep.Hops) != 2 || rep.Hops[0].Kind != "patch" || !strings.Contains(rep.Hops[0].Source, "SKEW902") {
		t.Errorf("with the embedded data, hop 1 should be a v1.31 stepping stone for SKEW902: %s", j)
	}
}
