package e2e

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// planReport is the part of PlanReport these tests read.
type planReport struct {
	Kind    string
	Summary struct {
		Target, TargetSource, ChannelServer, Agents string
		Hops                                        int
		Blocked, UpToDate                           bool
	}
	Hops []struct {
		Hop             int
		Kind, From, To  string
		Source, Image   string
		Servers, Agents []struct{ Name, Role, From string }
		Blocking        []struct{ ID, Subject string }
		Findings        []struct{ ID, Severity string }
	}
}

func planJSON(t *testing.T, args ...string) (planReport, result) {
	t.Helper()
	r := skew(t, append(append([]string{"plan"}, args...), "-o", "json")...)
	var rep planReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-o json is not a PlanReport: %v\n%s", err, r)
	}
	return rep, r
}

func hopTargets(rep planReport) []string {
	var out []string
	for _, h := range rep.Hops {
		out = append(out, h.To)
	}
	return out
}

// TestPlanK3sToStable: a K3s HA cluster on v1.30 is six hops from stable (v1.36),
// each pinned to the newest release of its minor, servers before agents.
func TestPlanK3sToStable(t *testing.T) {
	seed(t, "k3s-healthy-ha")
	before := nodeVersions(t)
	r := skew(t, "plan", "--channel", "stable", "--channel-server", k3sChannels())
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	golden(t, "plan-k3s-stable.txt", normalize(r.stdout)+"--- stderr\n"+normalize(r.stderr))

	rep, j := planJSON(t, "--channel", "stable", "--channel-server", k3sChannels())
	if j.code != 0 || rep.Kind != "PlanReport" {
		t.Fatalf("%s", j)
	}
	want := []string{"v1.31.13+k3s1", "v1.32.11+k3s3", "v1.33.12+k3s1", "v1.34.9+k3s1", "v1.35.10+k3s1", k3sStable}
	if got := hopTargets(rep); !reflect.DeepEqual(got, want) {
		t.Errorf("hops go to %v, want %v", got, want)
	}
	for _, h := range rep.Hops {
		if h.Kind != "minor" || len(h.Servers) != 3 || len(h.Agents) != 5 || len(h.Blocking) != 0 {
			t.Errorf("hop %d: %s, %d servers, %d agents, blocking %v; want a minor hop of 3 servers and 5 agents", h.Hop, h.Kind, len(h.Servers), len(h.Agents), h.Blocking)
		}
		if h.Image != "rancher/k3s-upgrade:"+strings.ReplaceAll(h.To, "+", "-") {
			t.Errorf("hop %d image %s", h.Hop, h.Image)
		}
	}
	if rep.Summary.Target != k3sStable || rep.Summary.TargetSource != `channel "stable"` {
		t.Errorf("summary: %+v", rep.Summary)
	}

	// Agents may trail by three minors: --agents final goes three hops at most.
	final, j := planJSON(t, "--version", k3sTarget, "--channel-server", k3sChannels(), "--agents", "final")
	if j.code != 0 || len(final.Hops) != 3 || len(final.Hops[0].Agents)+len(final.Hops[1].Agents) != 0 || len(final.Hops[2].Agents) != 5 {
		t.Errorf("--agents final: agents should move only at the last hop\n%s", j)
	}

	// plan is read-only.
	if after := nodeVersions(t); after != before {
		t.Errorf("plan changed nodes:\nbefore %s\nafter  %s", before, after)
	}
	if p := kubectl(t, "", "get", "plans.upgrade.cattle.io", "-A", "-o", "name"); p.code != 0 || strings.TrimSpace(p.stdout) != "" {
		t.Errorf("plan created SUC Plans or the Plan API is missing:\n%s", p)
	}
}

// TestPlanK3sSkewed: agents four and five minors behind catch up first; --agents final
// is refused with the reason.
func TestPlanK3sSkewed(t *testing.T) {
	seed(t, "k3s-skewed")
	r := skew(t, "plan", "--channel-server", k3sChannels())
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	golden(t, "plan-k3s-skewed.txt", normalize(r.stdout)+"--- stderr\n"+normalize(r.stderr))
	rep, _ := planJSON(t, "--channel-server", k3sChannels())
	if len(rep.Hops) != 6 || rep.Hops[0].Kind != "agents" || len(rep.Hops[0].Servers) != 0 || len(rep.Hops[0].Agents) != 2 {
		t.Fatalf("want an agents-only catch-up hop, then five minor hops: %+v", rep.Hops)
	}

	f := skew(t, "plan", "--channel-server", k3sChannels(), "--agents", "final")
	if f.code != 1 || f.stdout != "" || len(lines(f.stderr)) != 1 || !strings.Contains(f.stderr, "--agents final is not possible: k3s-agent-1 (v1.31.13+k3s1) would trail servers on v1.36 by 5 minors") {
		t.Errorf("--agents final on a skewed cluster:\n%s", f)
	}
}

// TestPlanRKE2: the etcd-only server moves with the servers, before any agent.
func TestPlanRKE2(t *testing.T) {
	seed(t, "rke2-etcd")
	r := skew(t, "plan", "--channel", "stable", "--channel-server", rke2Channels())
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	golden(t, "plan-rke2-stable.txt", normalize(r.stdout)+"--- stderr\n"+normalize(r.stderr))
	rep, _ := planJSON(t, "--channel", "stable", "--channel-server", rke2Channels())
	if got, want := hopTargets(rep), []string{"v1.32.12+rke2r1", rke2Target, "v1.34.9+rke2r1", "v1.35.10+rke2r1", "v1.36.4+rke2r1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("hops %v, want %v", got, want)
	}
	roles := map[string]int{}
	for _, s := range rep.Hops[0].Servers {
		roles[s.Role]++
	}
	if roles["etcd"] != 1 || roles["server"] != 2 || len(rep.Hops[0].Agents) != 3 {
		t.Errorf("hop 1 servers by role %v, %d agents; want 1 etcd, 2 server, then 3 agents", roles, len(rep.Hops[0].Agents))
	}
	if !strings.HasPrefix(rep.Hops[0].Image, "rancher/rke2-upgrade:v1.32.12-rke2r1") {
		t.Errorf("image %s", rep.Hops[0].Image)
	}

	// A K3s release is refused on an RKE2 cluster, without any channel server.
	w := skew(t, "plan", "--version", "v1.32.9+k3s1")
	if w.code != 1 || !strings.Contains(w.stderr, "K3s release, the cluster runs RKE2") {
		t.Errorf("a K3s target on RKE2:\n%s", w)
	}
}

// TestPlanBlockedExits3: kube-proxy static pods left on an old image fall out of skew
// once the servers move; plan names them and exits 3.
func TestPlanBlockedExits3(t *testing.T) {
	seed(t, "rke2-etcd") // takes the sandbox; the stale variant is seeded below
	s, err := scenarios.Load("rke2-etcd")
	if err != nil {
		t.Fatal(err)
	}
	s.Name = "rke2-stale-kube-proxy" // so that the next seed of rke2-etcd reseeds
	for i := range s.Nodes {
		if s.Nodes[i].Role != scenarios.Agent {
			continue
		}
		for j := range s.Nodes[i].Pods {
			if s.Nodes[i].Pods[j].Name == "kube-proxy" {
				s.Nodes[i].Pods[j].Image = "index.docker.io/rancher/hardened-kubernetes:v1.28.15-rke2r1-build20250910"
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.sb.SeedScenario(ctx, s); err != nil {
		t.Fatal(err)
	}
	r := skew(t, "plan", "--version", "v1.32.9+rke2r1")
	if r.code != 3 {
		t.Fatalf("want exit 3\n%s", r)
	}
	golden(t, "plan-rke2-blocked.txt", normalize(r.stdout)+"--- stderr\n"+normalize(r.stderr))
	rep, j := planJSON(t, "--version", "v1.32.9+rke2r1")
	if j.code != 3 || !rep.Summary.Blocked || len(rep.Hops[0].Blocking) != 3 || rep.Hops[0].Blocking[0].ID != "SKEW202" {
		t.Errorf("want hop 1 blocked by three SKEW202 (kube-proxy too old)\n%s", j)
	}
}

// nodeVersions is every node's name, resourceVersion and kubelet version, in order.
func nodeVersions(t *testing.T) string {
	t.Helper()
	r := kubectl(t, "", "get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}/{.status.nodeInfo.kubeletVersion} {end}`)
	if r.code != 0 {
		t.Fatalf("%s", r)
	}
	return r.stdout
}
