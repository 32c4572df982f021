package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// etcdHA is an HA K3s cluster, three servers with embedded etcd and an etcd-only
// server beside them, every node on v1.32.5+k3s1: etcd 3.5.21 by the release notes.
func etcdHA(s *scenarios.Scenario) {
	onVersion("v1.32.5+k3s1")(s)
	s.Nodes = append(s.Nodes, scenarios.NodeGroup{Name: "k3s-etcd-1", Role: scenarios.Etcd, Distro: scenarios.K3s, Kubelet: "v1.32.5+k3s1"})
}

// TestEtcdSteppingStone: the channel's v1.33 (v1.33.12+k3s1) bundles etcd 3.6.7, and
// every etcd member runs etcd 3.5.21. plan and upgrade --dry-run take the cluster to a
// v1.32 release bundling etcd v3.5.26 first (a stepping stone the plan explains), never
// straight to 3.6; the dry run writes nothing.
func TestEtcdSteppingStone(t *testing.T) {
	fresh(t, "k3s-healthy-ha", etcdHA)
	rep, r := planJSON(t, "--channel", "v1.33", "--channel-server", k3sChannels())
	if r.code != 0 || len(rep.Hops) != 2 {
		t.Fatalf("plan: want two hops, a stepping stone then v1.33: %s", r)
	}
	stone := rep.Hops[0]
	if !strings.HasPrefix(stone.To, "v1.32.") || !strings.Contains(stone.Source, "SKEW903") || len(stone.Servers) != 4 {
		t.Errorf("hop 1 should move the four etcd members to a v1.32 stone for SKEW903: %+v", stone)
	}
	rel, ok := release.Embedded().Lookup(version.MustParse(stone.To))
	if etcd, has := rel.Component(release.Etcd); !ok || !has || etcd.Minor != 5 || etcd.Compare(version.MustParse("v3.5.26")) < 0 {
		t.Errorf("the stone %s does not bundle etcd 3.5.26 or a later 3.5", stone.To)
	}
	if rep.Hops[1].To != "v1.33.12+k3s1" {
		t.Errorf("hop 2 goes to %s, want the channel's v1.33.12+k3s1", rep.Hops[1].To)
	}
	text := skew(t, "plan", "--channel", "v1.33", "--channel-server", k3sChannels())
	for _, want := range []string{"etcd v3.5.26 or later before etcd 3.6", "etcd v3.5.21-k3s1 -> v3.5.26-k3s1", "etcd v3.5.26-k3s1 -> v3.6.7-k3s1", "COMPONENTS BY HOP"} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("plan does not say %q:\n%s", want, text)
		}
	}

	before := clusterVersions(t)
	dry := upgradeCmd(t, k3sChannels(), "--channel", "v1.33", "--dry-run")
	if dry.code != 0 || !strings.Contains(dry.stdout+dry.stderr, stone.To) || strings.Contains(dry.stdout, "version: v1.33.12+k3s1") {
		t.Errorf("upgrade --dry-run should start with the stone %s, not v1.33.12+k3s1:\n%s", stone.To, dry)
	}
	if after := clusterVersions(t); after != before {
		t.Errorf("a dry run changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
}

// TestEtcdRefusedWithoutAStone: release data that knows no release bundling etcd
// v3.5.26: plan refuses in one line naming SKEW903 and what would do, and the upgrade's
// dry run refuses the same way; --accept-hazard SKEW903 lets the path stand, and the
// hop's hazard still names every member.
func TestEtcdRefusedWithoutAStone(t *testing.T) {
	fresh(t, "k3s-healthy-ha", etcdHA)
	data := releaseData(t, `{"version":"v1.32.5+k3s1","components":{"etcd":"v3.5.21-k3s1"},"source":{"url":"https://releases.test/a"}}`,
		`{"version":"v1.33.12+k3s1","components":{"etcd":"v3.6.7-k3s1"},"source":{"url":"https://releases.test/b"}}`)
	r := skew(t, "plan", "--version", "v1.33.12+k3s1", "--channel-server", k3sChannels(), "--release-data", data)
	if r.code != 1 || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, "SKEW903 (etcd 3.6)") || !strings.Contains(r.stderr, "--accept-hazard SKEW903") {
		t.Errorf("plan must refuse in one line naming SKEW903 and the way out:\n%s", r)
	}
	dry := upgradeCmd(t, k3sChannels(), "--version", "v1.33.12+k3s1", "--dry-run", "--release-data", data)
	if dry.code != 1 || !strings.Contains(dry.stderr, "SKEW903") {
		t.Errorf("upgrade --dry-run must refuse on SKEW903:\n%s", dry)
	}
	rep, ok := hazardJSON(t, "plan", "--version", "v1.33.12+k3s1", "--channel-server", k3sChannels(), "--release-data", data, "--accept-hazard", "SKEW903")
	if ok.code != 0 {
		t.Fatalf("plan --accept-hazard SKEW903: want exit 0: %s", ok)
	}
	members := 0
	for _, h := range rep.Hops {
		for _, z := range h.Hazards {
			if z.ID == "SKEW903" && strings.HasSuffix(z.Message, "(accepted)") {
				members++
			}
		}
	}
	if members != 4 {
		t.Errorf("the accepted SKEW903 should name the four etcd members, named %d:\n%s", members, ok)
	}
}

// TestUnknownReleaseIsUnknown: a target the release data does not know is reported
// unknown, with how to get newer data: by check --target's hazard, by plan's
// components, and by releases.
func TestUnknownReleaseIsUnknown(t *testing.T) {
	fresh(t, "k3s-healthy-ha", etcdHA)
	data := releaseData(t, `{"version":"v1.32.5+k3s1","components":{"etcd":"v3.5.21-k3s1"},"source":{"url":"https://releases.test/a"}}`)
	rep, r := hazardJSON(t, "check", "--target", "v1.33.12+k3s1", "--release-data", data)
	if r.code != 3 {
		t.Fatalf("check --target: want exit 3: %s", r)
	}
	unknown := 0
	for _, hs := range hits(rep, "SKEW903") {
		for _, h := range hs {
			if strings.Contains(h, "the release data cannot tell") && strings.Contains(h, "--release-data") {
				unknown++
			}
		}
	}
	if unknown != 4 {
		t.Errorf("SKEW903 should name the four members as unknown, with how to get newer data: %v", hits(rep, "SKEW903"))
	}
	p := skew(t, "plan", "--version", "v1.33.12+k3s1", "--channel-server", k3sChannels(), "--release-data", data, "--accept-hazard", "SKEW903")
	if !strings.Contains(p.stdout, "v1.33.12+k3s1 is newer than the release data") {
		t.Errorf("plan's components should say the target is unknown:\n%s", p)
	}
	rel := skew(t, "releases", "--release", "v1.33.12+k3s1", "--release-data", data)
	if rel.code != 1 || len(lines(rel.stderr)) != 1 || !strings.Contains(rel.stderr, "newer than the release data") {
		t.Errorf("releases --release: want one line saying the release is unknown, exit 1:\n%s", rel)
	}
}

// releaseData writes release data of the given rows and returns its path.
func releaseData(t *testing.T, rows ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "releases.json")
	body := `{"apiVersion":"` + release.APIVersion + `","kind":"` + release.Kind + `","releases":[` + strings.Join(rows, ",") + `]}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEtcdSteppingStoneUpgrade: upgrade --wait follows the planned path through the
// real system-upgrade-controller: every etcd member reaches the stone (etcd v3.5.26)
// before any of them moves to v1.33.12+k3s1 (etcd 3.6), servers before agents.
func TestEtcdSteppingStoneUpgrade(t *testing.T) {
	fresh(t, "k3s-healthy-ha", etcdHA)
	rep, _ := planJSON(t, "--channel", "v1.33", "--channel-server", k3sChannels())
	if len(rep.Hops) != 2 {
		t.Fatalf("plan: want two hops, got %d", len(rep.Hops))
	}
	stone := rep.Hops[0].To
	since := time.Now()
	r := upgradeCmd(t, k3sChannels(), "--channel", "v1.33", "--yes", "--wait", "--timeout", "3m")
	if r.code != 0 || !strings.Contains(r.stdout, "hop 1 of 2 -> "+stone) {
		t.Fatalf("upgrade --wait through the stone %s: %s", stone, r)
	}
	events := upgradeEvents(since)
	checkOrder(t, events)
	// The first Job of the v1.33.12 hop starts after the last etcd member's stone Job is done.
	stoneCore := strings.TrimPrefix(strings.SplitN(stone, "+", 2)[0], "v")
	var lastStone, firstNext time.Time
	for _, e := range events {
		switch {
		case strings.HasPrefix(e.Plan, "kubectl-skew-server-") && e.Event == nodesim.EventJobComplete && strings.Contains(e.Version, stoneCore) && e.Time.After(lastStone):
			lastStone = e.Time
		case strings.HasPrefix(e.Plan, "kubectl-skew-server-") && strings.Contains(e.Version, "1.33.12") && (firstNext.IsZero() || e.Time.Before(firstNext)):
			firstNext = e.Time
		}
	}
	if lastStone.IsZero() || firstNext.IsZero() || !firstNext.After(lastStone) {
		t.Errorf("the hop to etcd 3.6 must start after every member reached the stone: last stone %v, first v1.33.12 %v", lastStone, firstNext)
	}
	allOn(t, "v1.33.12+k3s1")
}
