package hazard

import (
	"regexp"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// fixture is the release data the table tests judge with: the components of the
// releases they name, shaped like the real data, so that a regenerated embedded table
// does not move them.
var fixture = func() *release.Index {
	rows := map[string]string{
		"v1.30.8+k3s1":    "etcd=v3.5.13-k3s1 containerd=v1.7.23-k3s2 traefik=v2.11.10",
		"v1.31.4+k3s1":    "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 traefik=v2.11.10",
		"v1.31.5+k3s1":    "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 traefik=v2.11.18",
		"v1.31.6+k3s1":    "etcd=v3.5.18-k3s1 containerd=v2.0.2-k3s2 traefik=v2.11.18",
		"v1.31.9+k3s1":    "etcd=v3.5.21-k3s1 containerd=v2.0.5-k3s1 traefik=v2.11.24",
		"v1.32.0+k3s1":    "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 traefik=v2.11.10",
		"v1.32.1+k3s1":    "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 traefik=v2.11.18",
		"v1.32.2+k3s1":    "etcd=v3.5.18-k3s1 containerd=v2.0.2-k3s2 traefik=v3.3.2",
		"v1.32.9+k3s1":    "etcd=v3.5.21-k3s1 containerd=v2.1.4-k3s1 traefik=v3.3.6",
		"v1.33.1+k3s1":    "etcd=v3.5.21-k3s1 containerd=v2.0.5-k3s1 traefik=v3.3.6",
		"v1.33.6+k3s1":    "etcd=v3.5.21-k3s1 containerd=v2.1.5-k3s1 traefik=v3.5.1",
		"v1.33.7+k3s1":    "etcd=v3.5.25-k3s1 containerd=v2.1.5-k3s1 traefik=v3.5.1",
		"v1.33.7+k3s3":    "etcd=v3.5.26-k3s1 containerd=v2.1.5-k3s1 traefik=v3.6.7",
		"v1.34.1+k3s1":    "etcd=v3.6.4-k3s1 containerd=v2.1.4-k3s1 traefik=v3.5.1",
		"v1.34.2+k3s1":    "etcd=v3.6.5-k3s1 containerd=v2.1.4-k3s1 traefik=v3.5.1",
		"v1.34.3+k3s1":    "etcd=v3.6.5-k3s1 containerd=v2.1.5-k3s1 traefik=v3.5.1",
		"v1.35.0+k3s1":    "etcd=v3.6.6-k3s1 containerd=v2.1.5-k3s1 traefik=v3.5.1",
		"v1.35.0+k3s3":    "etcd=v3.6.7-k3s1 containerd=v2.1.5-k3s1 traefik=v3.6.7",
		"v1.35.8+k3s1":    "etcd=v3.6.14-k3s1 containerd=v2.2.7-k3s1 traefik=v3.7.8",
		"v1.33.5+k3s1":    "etcd=v3.5.21-k3s1 containerd=v2.1.4-k3s1 traefik=v3.3.6",
		"v1.33.8+k3s1":    "etcd=v3.5.26-k3s1 containerd=v2.1.5-k3s1 traefik=v3.6.7",
		"v1.33.12+k3s1":   "etcd=v3.6.7-k3s1 containerd=v2.2.3-k3s1 traefik=v3.6.16",
		"v1.33.13+k3s1":   "etcd=v3.6.12-k3s1 containerd=v2.2.5-k3s1 traefik=v3.7.4",
		"v1.33.13+k3s2":   "etcd=v3.6.14-k3s1 containerd=v2.2.5-k3s1",
		"v1.34.4+k3s1":    "etcd=v3.6.7-k3s1 containerd=v2.1.5-k3s1 traefik=v3.6.7",
		"v1.34.8+k3s1":    "etcd=v3.6.7-k3s1 containerd=v2.2.3-k3s1 traefik=v3.6.13",
		"v1.34.9+k3s1":    "etcd=v3.6.12-k3s1 containerd=v2.2.5-k3s2 traefik=v3.7.4",
		"v1.35.5+rke2r1":  "etcd=v3.6.7-k3s1 containerd=v2.2.3-k3s1 traefik=v3.6.13",
		"v1.35.6+rke2r1":  "etcd=v3.6.12-k3s1 containerd=v2.2.5-k3s1 traefik=v3.7.4",
		"v1.36.2+rke2r1":  "etcd=v3.6.12-k3s1 containerd=v2.3.2-k3s1 traefik=v3.7.4",
		"v1.36.3+rke2r1":  "etcd=v3.6.14-k3s1 containerd=v2.3.2-k3s1 traefik=v3.7.8",
		"v1.31.9+rke2r1":  "etcd=v3.5.21-k3s1 containerd=v2.0.5-k3s1 ingress-nginx=v1.12.1-hardened1",
		"v1.32.2+rke2r1":  "etcd=v3.5.18-k3s1 containerd=v2.0.2-k3s2 ingress-nginx=v1.12.0-hardened2 traefik=v3.3.2",
		"v1.28.9+rke2r1":  "etcd=v3.5.9-k3s1 containerd=v1.7.11-k3s2 ingress-nginx=v1.9.6-hardened1",
		"v1.29.13+rke2r1": "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 ingress-nginx=v1.12.0-hardened2",
		"v1.31.4+rke2r1":  "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 ingress-nginx=v1.11.2-hardened2",
		"v1.31.5+rke2r1":  "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 ingress-nginx=v1.12.0-hardened2",
		"v1.32.0+rke2r1":  "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 ingress-nginx=v1.11.2-hardened2",
		"v1.32.1+rke2r1":  "etcd=v3.5.16-k3s1 containerd=v1.7.23-k3s2 ingress-nginx=v1.12.0-hardened2",
		"v1.32.11+rke2r2": "etcd=v3.5.25-k3s1 containerd=v2.1.5-k3s1",
		"v1.32.11+rke2r3": "etcd=v3.5.26-k3s1 containerd=v2.1.5-k3s1",
		"v1.34.1+rke2r1":  "etcd=v3.6.4-k3s1 containerd=v2.1.4-k3s1",
	}
	var rs []*release.Release
	for v, comps := range rows {
		r := &release.Release{Version: version.MustParse(v), Components: map[string]string{}, Source: release.Source{URL: "https://releases.test/"}}
		for _, kv := range strings.Fields(comps) {
			k, val, _ := strings.Cut(kv, "=")
			r.Components[k] = val
		}
		rs = append(rs, r)
	}
	return release.NewIndex(rs, "test data")
}()

func hop(from, to string) Hop {
	return Hop{From: version.MustParse(from), To: version.MustParse(to), Releases: fixture}
}

func TestTableIsWellFormed(t *testing.T) {
	id := regexp.MustCompile(`^SKEW9\d\d$`)
	seen := map[string]bool{}
	for _, e := range Table {
		if !id.MatchString(e.ID) || seen[e.ID] {
			t.Errorf("%s: ID must be a new, unique SKEW9xx", e.ID)
		}
		seen[e.ID] = true
		if e.Title == "" || e.When == "" || e.Fix == "" || !strings.HasPrefix(e.Source, "https://") ||
			e.Applies == nil || e.Judge == nil || len(e.Needs) == 0 || e.Severity.Rank() < 0 {
			t.Errorf("%s: every field is required", e.ID)
		}
	}
}

// TestApplies checks each entry's hop on both sides of its boundary.
func TestApplies(t *testing.T) {
	tests := []struct {
		id       string
		from, to string
		want     bool
	}{
		{"SKEW901", "v1.31.9+k3s1", "v1.32.1+k3s1", false},
		{"SKEW901", "v1.31.9+k3s1", "v1.32.2+k3s1", true},
		{"SKEW901", "v1.32.1+k3s1", "v1.32.2+k3s1", true},
		{"SKEW901", "v1.32.2+k3s1", "v1.33.1+k3s1", false},
		{"SKEW901", "v1.31.9+rke2r1", "v1.32.2+rke2r1", true}, // the notes list no Traefik before: open, judged
		{"SKEW901", "v1.31.9+k3s1", "v1.32.7+k3s1", true},     // unknown to the data: never assumed safe
		{"SKEW902", "v1.31.9+k3s1", "v1.32.0+k3s1", true},
		{"SKEW902", "v1.31.4+k3s1", "v1.31.9+k3s1", false},
		{"SKEW902", "v1.32.0+k3s1", "v1.33.0+k3s1", false},
		{"SKEW902", "v1.31.9+rke2r1", "v1.32.2+rke2r1", false}, // RKE2's CNI runs as pods
		{"SKEW903", "v1.33.7+k3s1", "v1.34.1+k3s1", true},
		{"SKEW903", "v1.32.11+k3s1", "v1.33.7+k3s1", true}, // the judgement looks at every member's own release
		{"SKEW904", "v1.33.1+rke2r1", "v1.34.1+rke2r1", true},
		{"SKEW904", "v1.34.0+rke2r1", "v1.34.1+rke2r1", false},
		{"SKEW905", "v1.34.2+k3s1", "v1.35.0+k3s1", true},
		{"SKEW905", "v1.33.2+k3s1", "v1.34.3+k3s1", false},
		{"SKEW907", "v1.31.5+k3s1", "v1.31.6+k3s1", true},
		{"SKEW907", "v1.31.4+k3s1", "v1.31.5+k3s1", false},
		{"SKEW907", "v1.31.6+k3s1", "v1.32.2+k3s1", true}, // each node's own runtime decides
		{"SKEW907", "v1.31.5+k3s1", "v1.32.1+k3s1", false},
		{"SKEW913", "v1.31.9+k3s1", "v1.32.9+k3s1", true},
		{"SKEW913", "v1.31.9+k3s1", "v1.33.1+k3s1", false},
		{"SKEW907", "v1.31.5+k3s1", "v1.32.2+k3s1", true},
		{"SKEW908", "v1.30.1+k3s1", "v1.30.2+k3s1", true},
		{"SKEW909", "v1.35.4+rke2r1", "v1.36.0+rke2r1", true},
		{"SKEW909", "v1.35.4+k3s1", "v1.36.0+k3s1", false},
		{"SKEW910", "v1.31.4+rke2r1", "v1.31.5+rke2r1", true},
		{"SKEW910", "v1.31.5+rke2r1", "v1.32.1+rke2r1", false},
		{"SKEW910", "v1.31.4+rke2r1", "v1.32.0+rke2r1", false},
		{"SKEW910", "v1.31.5+k3s1", "v1.32.1+k3s1", false}, // K3s bundles no ingress-nginx
		{"SKEW910", "v1.28.9+rke2r1", "v1.29.13+rke2r1", true},
		{"SKEW911", "v1.34.1+k3s1", "v1.35.0+k3s1", true},
		{"SKEW906", "v1.33.1+k3s1", "v1.34.1+k3s1", true}, // gates locked in v1.34
		{"SKEW914", "v1.29.9+rke2r1", "v1.30.1+rke2r1", true},
		{"SKEW914", "v1.30.1+rke2r1", "v1.31.1+rke2r1", false},
		{"SKEW914", "v1.29.9+k3s1", "v1.30.1+k3s1", false},
	}
	for _, tt := range tests {
		e, ok := ByID(tt.id)
		if !ok {
			t.Fatalf("no %s", tt.id)
		}
		if got := e.Relevant(hop(tt.from, tt.to)); got != tt.want {
			t.Errorf("%s %s -> %s: relevant = %v, want %v", tt.id, tt.from, tt.to, got, tt.want)
		}
	}
}

// node is a server (control plane and etcd member, as K3s with embedded etcd and RKE2
// label them) when cp, else an agent.
func node(name, kubelet string, cp bool) Node {
	return Node{Name: name, Kubelet: kubelet, ControlPlane: cp, Etcd: cp, Runtime: "containerd://2.0.5-k3s1"}
}

func args(raw string) []Arg {
	a, err := ParseNodeArgs(raw)
	if err != nil {
		panic(err)
	}
	return a
}

// TestJudge checks each judgement on both sides of its boundary.
func TestJudge(t *testing.T) {
	snippetCfg := Object{Kind: "helmchartconfig", Namespace: "kube-system", Name: "rke2-ingress-nginx", Detail: "controller:\n  config:\n    annotations-risk-level: Critical\n"}
	nginx := Object{Kind: "helmchart", Namespace: "kube-system", Name: "rke2-ingress-nginx"}
	snippet := Object{Kind: "ingress", Namespace: "web", Name: "a", Detail: "nginx.ingress.kubernetes.io/configuration-snippet"}
	tests := []struct {
		name  string
		id    string
		hop   Hop
		facts Facts
		want  int
	}{
		{"traefik v2 objects", "SKEW901", hop("v1.31.9+k3s1", "v1.32.2+k3s1"),
			Facts{TraefikV2Served: true, TraefikV2: []Object{{Kind: "ingressroute", Namespace: "web", Name: "app"}}}, 1},
		{"traefik group not served", "SKEW901", hop("v1.31.9+k3s1", "v1.32.2+k3s1"), Facts{}, 0},
		{"agent on v1.31.4", "SKEW902", hop("v1.31.9+k3s1", "v1.32.1+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.31.9+k3s1", true), node("a", "v1.31.4+k3s1", false)}}, 1},
		{"agent on v1.31.5", "SKEW902", hop("v1.31.9+k3s1", "v1.32.1+k3s1"),
			Facts{Nodes: []Node{node("a", "v1.31.5+k3s1", false)}}, 0},
		{"agent on v1.30.8", "SKEW902", hop("v1.31.9+k3s1", "v1.32.1+k3s1"),
			Facts{Nodes: []Node{node("a", "v1.30.8+k3s1", false)}}, 1},
		{"agent on v1.30.9", "SKEW902", hop("v1.31.9+k3s1", "v1.32.1+k3s1"),
			Facts{Nodes: []Node{node("a", "v1.30.9+k3s1", false)}}, 0},
		{"agent on v1.28", "SKEW902", hop("v1.31.9+k3s1", "v1.32.1+k3s1"),
			Facts{Nodes: []Node{node("a", "v1.28.15+k3s1", false)}}, 1},
		{"server below etcd 3.5.26", "SKEW903", hop("v1.33.6+k3s1", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.33.6+k3s1", true), node("a", "v1.33.1+k3s1", false)}}, 1},
		{"v1.33.7+k3s1 has etcd 3.5.25", "SKEW903", hop("v1.33.7+k3s1", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.33.7+k3s1", true)}}, 1},
		{"v1.33.7+k3s3 has etcd 3.5.26", "SKEW903", hop("v1.33.7+k3s3", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.33.7+k3s3", true)}}, 0},
		{"an etcd-only member counts", "SKEW903", hop("v1.33.7+k3s3", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.33.7+k3s3", true), {Name: "e", Kubelet: "v1.33.6+k3s1", Etcd: true}}}, 1},
		{"rke2 re-release carries the fix", "SKEW903", hop("v1.32.11+rke2r2", "v1.34.1+rke2r1"),
			Facts{Nodes: []Node{node("s", "v1.32.11+rke2r2", true)}}, 1},
		{"rke2 r3", "SKEW903", hop("v1.32.11+rke2r3", "v1.34.1+rke2r1"),
			Facts{Nodes: []Node{node("s", "v1.32.11+rke2r3", true)}}, 0},
		{"no etcd member (SQLite or an external datastore)", "SKEW903", hop("v1.33.1+k3s1", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{{Name: "s", Kubelet: "v1.33.1+k3s1", ControlPlane: true}}}, 0},
		{"a hop that keeps etcd 3.5", "SKEW903", hop("v1.33.6+k3s1", "v1.33.7+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.33.6+k3s1", true)}}, 0},
		{"a target newer than the data, past a minor on 3.6", "SKEW903", hop("v1.33.6+k3s1", "v1.34.9+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.33.6+k3s1", true)}}, 1},
		{"a member on a release the data does not know", "SKEW903", hop("v1.29.1+k3s1", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.29.1+k3s1", true)}}, 1},
		{"a member newer than the data on a 3.5.26 line", "SKEW903", hop("v1.33.7+k3s3", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{node("s", "v1.33.9+k3s1", true)}}, 0},
		{"3.6 back to 3.5", "SKEW903", Hop{From: version.MustParse("v1.34.1+k3s1"), To: version.MustParse("v1.34.5+k3s1"),
			Releases: testworld.Releases(t, "v1.34.1+k3s1 etcd=v3.6.4-k3s1", "v1.34.5+k3s1 etcd=v3.5.26-k3s1")},
			Facts{Nodes: []Node{node("s", "v1.34.1+k3s1", true)}}, 1},
		{"master label user", "SKEW904", hop("v1.33.1+k3s1", "v1.34.1+k3s1"),
			Facts{MasterLabelUsers: []Object{{Kind: "deployment", Namespace: "a", Name: "b"}}}, 1},
		{"cgroup v1 event", "SKEW905", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", CgroupV1Warnings: 1}}}, 1},
		{"cgroup v1 opted out", "SKEW905", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", CgroupV1Warnings: 1, Args: args(`["agent","--kubelet-arg","fail-cgroupv1=false"]`)}}}, 0},
		// --pod-infra-container-image is gone from v1.35 (TestRemovedFlagsKnown pins it).
		{"removed kubelet flag", "SKEW906", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Args: args(`["agent","--kubelet-arg=pod-infra-container-image=x"]`)}}}, 1},
		{"removed flag not passed", "SKEW906", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Args: args(`["agent","--kubelet-arg=max-pods=9"]`)}}}, 0},
		{"malformed node-args named", "SKEW906", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", ArgsError: "k3s.io/node-args: not a JSON array"}}}, 1},
		{"containerd 1.7", "SKEW907", hop("v1.31.5+k3s1", "v1.31.6+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Runtime: "containerd://1.7.23-k3s2"}}}, 1},
		{"containerd 2", "SKEW907", hop("v1.31.5+k3s1", "v1.31.6+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Runtime: "containerd://2.0.2-k3s2"}}}, 0},
		{"containerd 2.0 to 2.1", "SKEW913", hop("v1.31.9+k3s1", "v1.32.9+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Runtime: "containerd://2.0.5-k3s1"}, {Name: "b", Runtime: "containerd://2.1.4-k3s1"}}}, 1},
		{"a node on 1.7 is SKEW907's", "SKEW913", hop("v1.31.5+k3s1", "v1.32.9+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Runtime: "containerd://1.7.23-k3s2"}}}, 0},
		{"a hop that stays below 2.1", "SKEW913", hop("v1.31.5+k3s1", "v1.31.9+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Runtime: "containerd://1.7.23-k3s2"}}}, 0},
		{"stuck helm", "SKEW908", hop("v1.31.5+k3s1", "v1.31.6+k3s1"),
			Facts{FailedHelmJobs: []Object{{Kind: "job", Name: "helm-install-traefik"}}, PendingReleases: []Object{{Kind: "release", Name: "x"}}}, 2},
		{"rke2 nginx by default", "SKEW909", hop("v1.35.1+rke2r1", "v1.36.0+rke2r1"), Facts{HelmCharts: []Object{nginx}}, 1},
		{"rke2 nginx chosen", "SKEW909", hop("v1.35.1+rke2r1", "v1.36.0+rke2r1"),
			Facts{HelmCharts: []Object{nginx}, Nodes: []Node{{Name: "s", Args: args(`["server","--ingress-controller","ingress-nginx"]`)}}}, 0},
		{"snippets", "SKEW910", hop("v1.31.4+rke2r1", "v1.31.5+rke2r1"), Facts{SnippetIngresses: []Object{snippet}}, 1},
		{"snippets allowed", "SKEW910", hop("v1.31.4+rke2r1", "v1.31.5+rke2r1"), Facts{SnippetIngresses: []Object{snippet}, HelmCharts: []Object{snippetCfg}}, 0},
		{"cgroup v1 by kernel 3.10: certain", "SKEW905", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Kernel: "3.10.0-1160.el7.x86_64"}}}, 1},
		{"cgroup v1 likely by kernel 5.4", "SKEW905", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Kernel: "5.4.0-150-generic"}}}, 1},
		{"cgroup v1 likely by OS", "SKEW905", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Kernel: "5.10.0-28", OSImage: "Debian GNU/Linux 10 (buster)"}, {Name: "b", OSImage: "Amazon Linux 2"}}}, 2},
		{"cgroup v2 defaults", "SKEW905", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Kernel: "6.8.0-49-generic", OSImage: "Ubuntu 24.04.1 LTS"}, {Name: "b", Kernel: "5.14.0-427.el9", OSImage: "Rocky Linux 9.4 (Blue Onyx)"}}}, 0},
		{"gate locked to true, set false", "SKEW906", hop("v1.33.5+k3s1", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{{Name: "s", Args: args(`["server","--kube-apiserver-arg","feature-gates=AuthorizeNodeWithSelectors=false,Foo=true"]`)}}}, 1},
		{"gate locked to true, set true", "SKEW906", hop("v1.33.5+k3s1", "v1.34.1+k3s1"),
			Facts{Nodes: []Node{{Name: "s", Args: args(`["server","--kube-apiserver-arg=feature-gates=AuthorizeNodeWithSelectors=true"]`)}}}, 0},
		{"gate removed: any value", "SKEW906", hop("v1.36.1+k3s1", "v1.37.1+k3s1"),
			Facts{Nodes: []Node{{Name: "s", Args: args(`["server","--kube-apiserver-arg=feature-gates=AuthorizeNodeWithSelectors=true"]`)}}}, 1},
		{"gate changes outside the hop", "SKEW906", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "s", Args: args(`["server","--kube-apiserver-arg=feature-gates=AuthorizeNodeWithSelectors=false"]`)}}}, 0},
		{"kubelet gates repeated: each counts", "SKEW906", hop("v1.32.5+k3s1", "v1.33.1+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Args: args(`["agent","--kubelet-arg","feature-gates=CPUManager=true","--kubelet-arg","feature-gates=AppArmor=true"]`)}}}, 2},
		{"versioned cis profile", "SKEW914", hop("v1.29.9+rke2r1", "v1.30.4+rke2r1"),
			Facts{Nodes: []Node{{Name: "s", Args: args(`["server","--profile","cis-1.23"]`)}, {Name: "t", Args: args(`["server","--profile=cis"]`)}}}, 1},
		{"ipvs", "SKEW911", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Args: args(`["agent","--kube-proxy-arg","proxy-mode=ipvs"]`)}}}, 1},
		{"iptables", "SKEW911", hop("v1.34.1+k3s1", "v1.35.0+k3s1"),
			Facts{Nodes: []Node{{Name: "a", Args: args(`["agent","--kube-proxy-arg","proxy-mode=iptables"]`)}}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := ByID(tt.id)
			if got := e.Judge(tt.hop, &tt.facts); len(got) != tt.want {
				t.Fatalf("%s: %d hits, want %d: %+v", tt.id, len(got), tt.want, got)
			}
		})
	}
}

func TestEvaluateSkipsAndAccepts(t *testing.T) {
	hops := []Hop{hop("v1.31.4+k3s1", "v1.32.2+k3s1")}
	f := &Facts{
		Nodes:   []Node{node("a", "v1.31.4+k3s1", false)},
		Read:    map[Fact]bool{FactNodes: true, FactTraefikV2: true},
		Skipped: map[Fact]string{FactTraefikV2: "forbidden"},
	}
	r := Evaluate(hops, f, map[string]bool{"SKEW902": true})
	if len(r) != 1 {
		t.Fatal(r)
	}
	var skippedTraefik bool
	for _, s := range r[0].Skipped {
		skippedTraefik = skippedTraefik || (s.ID == "SKEW901" && strings.Contains(s.Reason, "forbidden"))
	}
	if !skippedTraefik {
		t.Errorf("forbidden traefik list must skip SKEW901: %+v", r[0].Skipped)
	}
	if len(r[0].Findings) != 1 || r[0].Findings[0].ID != "SKEW902" || !r[0].Findings[0].Accepted {
		t.Fatalf("want accepted SKEW902: %+v", r[0].Findings)
	}
	if b := Blocking(r); len(b) != 0 {
		t.Errorf("accepted hazard still blocks: %+v", b)
	}
	if b := Blocking(Evaluate(hops, f, nil)); len(b) != 1 {
		t.Errorf("unaccepted SKEW902 must block: %+v", b)
	}
}

func TestNeedsOnlyWhatHopsUse(t *testing.T) {
	got := Needs([]Hop{hop("v1.30.1+k3s1", "v1.30.2+k3s1")})
	for _, f := range got {
		if f == FactTraefikV2 || f == FactWorkloads || f == FactIngresses {
			t.Errorf("a patch hop on v1.30 does not need %s", f)
		}
	}
	all := Needs([]Hop{hop("v1.31.4+k3s1", "v1.32.2+k3s1"), hop("v1.33.7+k3s1", "v1.34.1+k3s1")})
	want := map[Fact]bool{FactTraefikV2: true, FactWorkloads: true, FactPlans: true, FactNodes: true}
	for _, f := range all {
		delete(want, f)
	}
	if len(want) != 0 {
		t.Errorf("missing needs %v in %v", want, all)
	}
}

// TestPathHopsProjectKubelets: an agent an earlier hop upgrades is judged at that version.
func TestPathHopsProjectKubelets(t *testing.T) {
	v := version.MustParse
	hops := PathHops([]version.Version{v("v1.31.4+k3s1"), v("v1.31.9+k3s1")},
		[]version.Version{v("v1.31.9+k3s1"), v("v1.32.1+k3s1")}, [][]string{{"a"}, {"s", "a"}}, nil)
	f := &Facts{Nodes: []Node{node("a", "v1.31.4+k3s1", false)}}
	if e, _ := ByID("SKEW902"); e.Relevant(hops[0]) {
		t.Fatal("hop 1 does not cross v1.32")
	}
	if got := judgeNodeAuthz(hops[1], f); len(got) != 0 {
		t.Fatalf("agent a is on v1.31.9 before hop 2: %+v", got)
	}
	if got := judgeNodeAuthz(Hop{From: v("v1.31.9+k3s1"), To: v("v1.32.1+k3s1")}, f); len(got) != 1 {
		t.Fatalf("without projection the agent on v1.31.4 is named: %+v", got)
	}
}
