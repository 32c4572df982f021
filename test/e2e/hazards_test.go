package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// hazardReport is the part of check's and plan's JSON the hop-hazard tests read.
type hazardReport struct {
	Hazards []struct {
		Hop      string
		Findings []struct {
			ID, Severity, Subject, Message string
			Blocking                       bool
		}
		Skipped []struct{ ID, Reason string }
	}
	Hops []struct {
		Hop     int
		To      string
		Hazards []struct{ ID, Subject, Message string }
	}
}

func hazardJSON(t *testing.T, args ...string) (hazardReport, result) {
	t.Helper()
	r := kubectl(t, "", append(append([]string{"skew"}, args...), "-o", "json")...)
	var rep hazardReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r)
	}
	return rep, r
}

// hits lists "ID subject" per hop name for one ID, from check --target's report.
func hits(rep hazardReport, id string) map[string][]string {
	out := map[string][]string{}
	for _, h := range rep.Hazards {
		for _, f := range h.Findings {
			if f.ID == id {
				out[h.Hop] = append(out[h.Hop], f.Subject+": "+f.Message)
			}
		}
	}
	return out
}

// onlyAtHopTo checks that id names subject at the hop ending in to and at no other hop.
func onlyAtHopTo(t *testing.T, rep hazardReport, id, subject, to, says string) {
	t.Helper()
	found := false
	for hop, hs := range hits(rep, id) {
		for _, h := range hs {
			if !strings.HasPrefix(h, subject+": ") {
				continue
			}
			if !strings.HasSuffix(hop, "-> "+to) {
				t.Errorf("%s names %s at %s, want only at the hop to %s", id, subject, hop, to)
				continue
			}
			found = true
			if !strings.Contains(h, says) {
				t.Errorf("%s at %s: %q does not say %q", id, hop, h, says)
			}
		}
	}
	if !found {
		t.Errorf("%s does not name %s at the hop to %s: %+v", id, subject, to, rep.Hazards)
	}
}

// traefikV2World installs, as the admin, a CRD of ours in traefik.containo.us
// (IngressRoute, served) and one IngressRoute; the cleanup removes the CRD and waits
// until it is gone, so later tests see a cluster that does not serve the group.
func traefikV2World(t *testing.T) {
	t.Helper()
	dir := filepath.Join("testdata", "hazards")
	if r := kubectl(t, "", "apply", "-f", filepath.Join(dir, "traefik-v2-crd.yaml")); r.code != 0 {
		t.Fatalf("install the traefik.containo.us CRD: %s", r)
	}
	t.Cleanup(func() {
		if r := kubectl(t, "", "delete", "crd", "ingressroutes.traefik.containo.us", "--wait=true", "--timeout=60s"); r.code != 0 {
			t.Errorf("remove the traefik.containo.us CRD: %s", r)
		}
	})
	if r := kubectl(t, "", "wait", "--for=condition=Established", "crd/ingressroutes.traefik.containo.us", "--timeout=30s"); r.code != 0 {
		t.Fatalf("CRD not established: %s", r)
	}
	if r := kubectl(t, "", "apply", "-f", filepath.Join(dir, "ingressroute.yaml")); r.code != 0 {
		t.Fatalf("create the IngressRoute: %s", r)
	}
}

// TestHazardTraefikV2PlanAndPreflight is the scenario: a K3s v1.31 cluster
// holding a traefik.containo.us IngressRoute. plan names the object and Traefik v3 at
// the hop to v1.32 and is blocked until it is acknowledged; the upgrade's hazards
// preflight reports the same finding and fails, and --accept-hazard SKEW901 lets it
// pass. Nothing is written.
func TestHazardTraefikV2PlanAndPreflight(t *testing.T) {
	seed(t, "k3s-traefik-v2")
	traefikV2World(t)

	p := skew(t, "plan", "--channel", "stable", "--channel-server", k3sChannels())
	if p.code != 3 || !strings.Contains(p.stdout, "--accept-hazard SKEW901") {
		t.Fatalf("plan: want exit 3, the hop blocked by SKEW901 until acknowledged: %s", p)
	}
	if a := skew(t, "plan", "--channel", "stable", "--channel-server", k3sChannels(), "--accept-hazard", "SKEW901"); a.code != 0 {
		t.Errorf("plan --accept-hazard SKEW901: want exit 0 (a clear path): %s", a)
	}
	hop := ""
	for _, l := range lines(p.stdout) {
		if strings.HasPrefix(l, "HAZARDS AT HOP") {
			hop = l
		}
		// The finding rows; the hop table's BLOCKING cell and NEXT name the ID too.
		if strings.HasPrefix(l, "error ") && strings.Contains(l, "SKEW901") {
			if !strings.Contains(hop, "v1.32.") || !strings.Contains(l, "ingressroute/web/app") {
				t.Errorf("SKEW901 under %q: %q; want the IngressRoute at the hop to v1.32", hop, l)
			}
		}
	}
	blocking := false
	for _, l := range lines(p.stdout) {
		f := strings.Fields(l)
		blocking = blocking || (len(f) > 3 && strings.HasPrefix(f[3], "v1.32.") && f[len(f)-1] == "SKEW901")
	}
	if !blocking {
		t.Errorf("the hop to v1.32 does not show SKEW901 in its BLOCKING cell:\n%s", p)
	}
	if !strings.Contains(p.stdout, "ingressroute/web/app") || !strings.Contains(p.stdout, "Traefik v3") {
		t.Errorf("plan does not name the object and Traefik v3:\n%s", p)
	}
	rep, _ := hazardJSON(t, "plan", "--channel", "stable", "--channel-server", k3sChannels())
	for _, h := range rep.Hops {
		has := false
		for _, z := range h.Hazards {
			has = has || (z.ID == "SKEW901" && z.Subject == "ingressroute/web/app")
		}
		if want := strings.HasPrefix(h.To, "v1.32."); has != want {
			t.Errorf("hop %d to %s: SKEW901 on the IngressRoute = %v, want %v", h.Hop, h.To, has, want)
		}
	}

	before := clusterVersions(t)
	dry := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--dry-run")
	out := dry.stdout + dry.stderr
	if dry.code != 1 || !strings.Contains(out, "SKEW901 ingressroute/web/app at ") || !strings.Contains(out, "preflight failed (hazards)") {
		t.Errorf("upgrade --dry-run: want the hazards check to fail on SKEW901 ingressroute/web/app:\n%s", dry)
	}
	ok := upgradeCmd(t, k3sChannels(), "--channel", "stable", "--dry-run", "--accept-hazard", "SKEW901")
	if ok.code != 0 || strings.Contains(ok.stdout+ok.stderr, "blocking hop hazards") {
		t.Errorf("upgrade --dry-run --accept-hazard SKEW901 should pass:\n%s", ok)
	}
	if after := clusterVersions(t); after != before {
		t.Errorf("a dry run changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
}

// TestHazardRemovedKubeletFlag: a kubelet flag passed through node-args is named at the
// hop whose minor removed it, and only there.
func TestHazardRemovedKubeletFlag(t *testing.T) {
	seed(t, "k3s-hazards")
	rep, r := hazardJSON(t, "check", "--target", "v1.35")
	if r.code != 3 {
		t.Fatalf("want exit 3 (findings): %s", r)
	}
	onlyAtHopTo(t, rep, "SKEW906", "node/k3s-agent-1", "v1.34", "register-schedulable")
	onlyAtHopTo(t, rep, "SKEW906", "node/k3s-server-1", "v1.35", "pod-infra-container-image")
	if hs := hits(rep, "SKEW906"); len(hs) != 2 {
		t.Errorf("SKEW906 should name exactly the two nodes, once each: %v", hs)
	}
	// Before the minor that removes it, the flag is no hazard.
	rep, _ = hazardJSON(t, "check", "--target", "v1.34")
	for hop, hs := range hits(rep, "SKEW906") {
		for _, h := range hs {
			if strings.Contains(h, "pod-infra-container-image") {
				t.Errorf("pod-infra-container-image is removed in v1.35, named at %s", hop)
			}
		}
	}
}

// TestHazardCgroupV1Event: the kubelet's CgroupV1 Event makes its node a hazard at the
// hop to v1.35, not before.
func TestHazardCgroupV1Event(t *testing.T) {
	seed(t, "k3s-hazards")
	rep, _ := hazardJSON(t, "check", "--target", "v1.35")
	onlyAtHopTo(t, rep, "SKEW905", "node/k3s-agent-2", "v1.35", "cgroup v1")
	for _, h := range hits(rep, "SKEW905") {
		if len(h) != 1 {
			t.Errorf("only k3s-agent-2 reported cgroup v1: %v", h)
		}
	}
	rep, _ = hazardJSON(t, "check", "--target", "v1.34")
	if hs := hits(rep, "SKEW905"); len(hs) != 0 {
		t.Errorf("SKEW905 before v1.35: %v", hs)
	}
}

// TestHazardMasterLabelDeployment: a Deployment selecting and tolerating the master
// label is named at the hop to v1.34.
func TestHazardMasterLabelDeployment(t *testing.T) {
	seed(t, "k3s-hazards")
	rep, _ := hazardJSON(t, "check", "--target", "v1.35")
	onlyAtHopTo(t, rep, "SKEW904", "deployment/legacy/pinned-to-master", "v1.34", "node-role.kubernetes.io/master")
}

// TestHazardFailedHelmInstallJob: a failed helm-install Job blocks every hop.
func TestHazardFailedHelmInstallJob(t *testing.T) {
	seed(t, "k3s-hazards")
	rep, _ := hazardJSON(t, "check", "--target", "v1.35")
	got := hits(rep, "SKEW908")
	if len(got) != len(rep.Hazards) || len(got) != 2 {
		t.Fatalf("SKEW908 should be at both hops: %v", got)
	}
	for hop, hs := range got {
		if len(hs) != 1 || !strings.HasPrefix(hs[0], "job/kube-system/helm-install-traefik: ") {
			t.Errorf("at %s: %v", hop, hs)
		}
	}
	for _, h := range rep.Hazards {
		for _, f := range h.Findings {
			if f.ID == "SKEW908" && (!f.Blocking || f.Severity != "error") {
				t.Errorf("SKEW908 must be a blocking error: %+v", f)
			}
		}
	}
}

// TestHazardForbiddenListSkipped: a user who may list nodes and nothing else gets the
// hazards that read other lists as skipped, with the reason, and the node-args ones
// judged; a report, never a crash.
func TestHazardForbiddenListSkipped(t *testing.T) {
	seed(t, "k3s-hazards")
	r := skew(t, "check", "--context", sandbox.ContextNodeReader, "--target", "v1.35", "-o", "json")
	if r.code != 0 && r.code != 3 {
		t.Fatalf("want a report: %s", r)
	}
	var rep hazardReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("-o json: %v\n%s", err, r)
	}
	skipped := map[string]string{}
	for _, h := range rep.Hazards {
		for _, s := range h.Skipped {
			skipped[s.ID] = s.Reason
		}
	}
	for _, id := range []string{"SKEW904", "SKEW905", "SKEW908"} {
		if !strings.Contains(skipped[id], "forbidden") {
			t.Errorf("%s should be skipped as forbidden, got %q (all: %v)", id, skipped[id], skipped)
		}
	}
	if hs := hits(rep, "SKEW906"); len(hs) == 0 {
		t.Errorf("node-args come with the nodes: SKEW906 should still be judged: %+v", rep.Hazards)
	}
	table := skew(t, "check", "--context", sandbox.ContextNodeReader, "--target", "v1.35")
	if !strings.Contains(table.stdout+table.stderr, "hazard SKEW905 at") || !strings.Contains(strings.ToLower(table.stdout+table.stderr), "forbidden") {
		t.Errorf("the table does not say which hazard was skipped and why:\n%s", table)
	}
}
