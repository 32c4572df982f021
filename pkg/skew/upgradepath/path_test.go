package upgradepath

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

const (
	k30 = "v1.30.14+k3s1"
	k31 = "v1.31.13+k3s1"
	k32 = "v1.32.9+k3s1"
	k33 = "v1.33.5+k3s1"
)

var healthyHA = testworld.Join(testworld.Uniform("server", "server", 3, k30), testworld.Uniform("agent", "agent", 5, k30))

func TestPlanPathRules(t *testing.T) {
	k3s := testworld.Channels(t, "k3s")
	rke2 := testworld.Channels(t, "rke2")
	cases := []struct {
		name     string
		nodes    []string
		channel  string
		version  string
		list     *channel.List
		noList   bool
		agents   AgentMode
		want     []string
		notes    []string // substrings, in order of the notes
		wantFrom string
	}{
		{
			name: "three minors, one hop each, intermediate hops on the minor channels", nodes: healthyHA, channel: "stable",
			want: []string{"minor " + k30 + ">" + k31 + " s=3 a=5", "minor " + k31 + ">" + k32 + " s=3 a=5", "minor " + k32 + ">" + k33 + " s=3 a=5"},
		},
		{
			name: "a patch within the minor is one hop", nodes: testworld.Join(testworld.Uniform("server", "s", 1, "v1.33.2+k3s1"), testworld.Uniform("agent", "a", 2, "v1.33.2+k3s1")), channel: "stable",
			want: []string{"patch v1.33.2+k3s1>" + k33 + " s=1 a=2"},
		},
		{
			name: "a revision is newer: +k3s2 after +k3s1", nodes: healthyHA, channel: "v1.30",
			want: []string{"patch " + k30 + ">v1.30.14+k3s2 s=3 a=5"},
		},
		{
			name: "explicit version one minor up needs no channel server", nodes: healthyHA, version: k31, noList: true,
			want: []string{"minor " + k30 + ">" + k31 + " s=3 a=5"},
		},
		{
			name: "an older patch of a listed minor is accepted with a note", nodes: healthyHA, version: "v1.31.4+k3s1",
			want:  []string{"minor " + k30 + ">v1.31.4+k3s1 s=3 a=5"},
			notes: []string{"not the newest v1.31 release"},
		},
		{
			name: "half way through a minor hop: finish at the servers' version", channel: "stable",
			nodes: testworld.Join([]string{"server s1 v1.31.12+k3s1", "server s2 " + k30, "server s3 " + k30}, testworld.Uniform("agent", "a", 2, k30)),
			want: []string{
				"minor " + k30 + ">v1.31.12+k3s1 s=2 a=2", "minor v1.31.12+k3s1>" + k32 + " s=3 a=2", "minor " + k32 + ">" + k33 + " s=3 a=2",
			},
			notes: []string{"resumes the upgrade in progress: s1 already runs v1.31.12+k3s1"},
		},
		{
			name: "half way through the last hop", channel: "stable",
			nodes: testworld.Join([]string{"server s1 " + k33, "server s2 " + k32, "server s3 " + k32}, testworld.Uniform("agent", "a", 2, k32)),
			want:  []string{"minor " + k32 + ">" + k33 + " s=2 a=2"},
		},
		{
			name: "servers done, agents left: an agents-only hop", channel: "stable",
			nodes: testworld.Join(testworld.Uniform("server", "s", 2, k33), testworld.Uniform("agent", "a", 2, k32)),
			want:  []string{"agents " + k32 + ">" + k33 + " s=0 a=2"},
		},
		{
			name: "already there: no hop", channel: "stable", nodes: testworld.Join(testworld.Uniform("server", "s", 1, k33), testworld.Uniform("agent", "a", 1, k33)),
			want: []string{},
		},
		{
			name: "agents too far behind catch up first, only those", channel: "stable",
			nodes: testworld.Join(testworld.Uniform("server", "s", 3, k30), []string{"agent a1 " + k30, "agent a2 v1.29.15+k3s1", "agent a3 v1.28.15+k3s1", "agent a4 v1.27.16+k3s1", "agent a5 v1.26.15+k3s1"}),
			want: []string{
				"agents v1.26.15+k3s1>" + k30 + " s=0 a=2",
				"minor " + k30 + ">" + k31 + " s=3 a=5", "minor " + k31 + ">" + k32 + " s=3 a=5", "minor " + k32 + ">" + k33 + " s=3 a=5",
			},
			notes: []string{"a4 and a5 first catch up with the servers on " + k30},
		},
		{
			name: "--agents final: agents move once, at the last hop", nodes: healthyHA, channel: "stable", agents: AgentsFinal,
			want: []string{"minor " + k30 + ">" + k31 + " s=3 a=0", "minor " + k31 + ">" + k32 + " s=3 a=0", "minor " + k32 + ">" + k33 + " s=3 a=5"},
		},
		{
			name: "an agent ahead of the hop is left alone", channel: "stable",
			nodes: testworld.Join(testworld.Uniform("server", "s", 1, k31), []string{"agent a1 v1.31.14+k3s1", "agent a2 " + k31}),
			want:  []string{"minor v1.31.13+k3s1>" + k32 + " s=1 a=2", "minor " + k32 + ">" + k33 + " s=1 a=2"},
		},
		{
			name: "RKE2 with an etcd-only server: it moves with the servers", channel: "stable", list: rke2,
			nodes: []string{"etcd e1 v1.31.13+rke2r1", "server s1 v1.31.13+rke2r1", "server s2 v1.31.13+rke2r1", "agent a1 v1.31.13+rke2r1", "agent a2 v1.30.14+rke2r2"},
			want:  []string{"minor v1.31.13+rke2r1>v1.32.9+rke2r1 s=3 a=2", "minor v1.32.9+rke2r1>v1.33.5+rke2r1 s=3 a=2"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Inventory: testworld.Inventory(t, tc.nodes...), Channel: tc.channel, Agents: tc.agents, Channels: k3s}
			if tc.list != nil {
				req.Channels = tc.list
			}
			if tc.noList {
				req.Channels = nil
			}
			if tc.version != "" {
				req.Version = testworld.Target(t, tc.version)
			}
			p, err := Find(req)
			if err != nil {
				t.Fatal(err)
			}
			if got := hopLines(p); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("hops:\n  got  %q\n  want %q", got, tc.want)
			}
			for i, want := range tc.notes {
				if i >= len(p.Notes) || !strings.Contains(p.Notes[i], want) {
					t.Errorf("note %d: got %q, want it to contain %q", i, p.Notes, want)
				}
			}
			if len(tc.notes) == 0 && len(p.Notes) > 0 {
				t.Errorf("unexpected notes %q", p.Notes)
			}
			for i, h := range p.Hops {
				if h.Number != i+1 {
					t.Errorf("hop %d numbered %d", i+1, h.Number)
				}
			}
		})
	}
}

func TestPlanPathRefuses(t *testing.T) {
	k3s := testworld.Channels(t, "k3s")
	rke2 := testworld.Channels(t, "rke2")
	skewed := testworld.Join(testworld.Uniform("server", "s", 3, k30), []string{"agent a1 " + k30, "agent a2 v1.29.15+k3s1", "agent a3 v1.28.15+k3s1", "agent a4 v1.27.16+k3s1", "agent a5 v1.26.15+k3s1"})
	cases := []struct {
		name    string
		nodes   []string
		channel string
		version string
		list    *channel.List
		noList  bool
		agents  AgentMode
		want    error
		mention []string
	}{
		{name: "downgrade a minor", nodes: healthyHA, version: "v1.29.15+k3s1", want: ErrDowngrade, mention: []string{"server-1", "snapshot"}},
		{name: "downgrade a revision", nodes: testworld.Uniform("server", "s", 1, "v1.30.14+k3s2"), version: k30, want: ErrDowngrade},
		{name: "an agent newer than the target", nodes: testworld.Join(testworld.Uniform("server", "s", 1, k30), []string{"agent a1 v1.31.1+k3s1"}), version: "v1.30.14+k3s2", want: ErrDowngrade, mention: []string{"agent a1"}},
		{name: "RKE2 release for a K3s cluster", nodes: healthyHA, version: "v1.31.13+rke2r1", want: ErrWrongDistro, mention: []string{"RKE2 release, the cluster runs K3s"}},
		{name: "RKE2 channel server for a K3s cluster", nodes: healthyHA, channel: "stable", list: rke2, want: ErrWrongDistro, mention: []string{"channel server"}},
		{name: "a plain upstream version on K3s", nodes: healthyHA, version: "v1.31.13", want: ErrInexactTarget, mention: []string{"+k3sN"}},
		{name: "a minor is not a release", nodes: healthyHA, version: "v1.31", want: ErrInexactTarget, mention: []string{"names a minor", "v1.31.X+k3sN"}},
		{name: "a release newer than the channel knows", nodes: healthyHA, version: "v1.31.99+k3s1", want: ErrNotListed, mention: []string{k31}},
		{name: "a minor no channel lists", nodes: healthyHA, version: "v1.31.13+k3s1", list: mustDecode(t, `{"data":[{"name":"stable","latest":"v1.33.5+k3s1"}]}`), want: ErrNotListed},
		{name: "intermediate minors need the channel list", nodes: healthyHA, version: k33, noList: true, want: ErrNeedChannels, mention: []string{"v1.31 and v1.32", "--channel-server", "--version v1.31.X+k3sN"}},
		{name: "a channel needs the channel list", nodes: healthyHA, channel: "stable", noList: true, want: ErrNeedChannels},
		{name: "a minor channel missing on the way", nodes: healthyHA, channel: "stable", list: mustDecode(t, `{"data":[{"name":"stable","latest":"v1.33.5+k3s1"},{"name":"v1.31","latest":"v1.31.13+k3s1"}]}`), want: channel.ErrUnknownChannel, mention: []string{"v1.32"}},
		{name: "an unknown channel", nodes: healthyHA, channel: "v1.99", want: channel.ErrUnknownChannel},
		{name: "a channel without latest", nodes: healthyHA, channel: "testing", want: channel.ErrNoLatest},
		{name: "agents final when agents would fall out of skew", nodes: skewed, channel: "stable", agents: AgentsFinal, want: ErrAgentsFinal, mention: []string{"a2 (v1.29.15+k3s1) would trail servers on v1.33 by 4 minors, at most 3", "--agents each"}},
		{name: "kubeadm", nodes: testworld.Uniform("server", "cp", 1, "v1.30.4"), version: "v1.31.0", want: ErrUnsupportedDistro},
		{name: "no servers", nodes: testworld.Uniform("agent", "a", 2, k30), channel: "stable", want: ErrNoServers},
		{name: "an unreadable node", nodes: testworld.Join(testworld.Uniform("server", "s", 1, k30), []string{"agent a1 garbage"}), channel: "stable", want: ErrUnreadableNode, mention: []string{"a1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := Request{Inventory: testworld.Inventory(t, tc.nodes...), Channel: tc.channel, Agents: tc.agents, Channels: k3s}
			if tc.list != nil {
				req.Channels = tc.list
			}
			if tc.noList {
				req.Channels = nil
			}
			if tc.version != "" {
				req.Version = testworld.Target(t, tc.version)
			}
			p, err := Find(req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (path %v), want %v", err, p, tc.want)
			}
			for _, m := range tc.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not mention %q", err, m)
				}
			}
		})
	}
}

func mustDecode(t *testing.T, body string) *channel.List {
	t.Helper()
	l, err := channel.Decode("https://mirror.test/v1-release/channels", "", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestGatingFindings runs the real policy: the skewed cluster of the demo is not blocked
// once its lagging agents catch up first, and each hop carries what "upgrade" re-checks.
func TestGatingFindings(t *testing.T) {
	nodes := testworld.Join(testworld.Uniform("server", "s", 3, k30), []string{"agent a1 " + k30, "agent a4 v1.27.16+k3s1", "agent a5 v1.26.15+k3s1"})
	p, err := Find(Request{Inventory: testworld.Inventory(t, nodes...), Channel: "stable", Channels: testworld.Channels(t, "k3s")})
	if err != nil {
		t.Fatal(err)
	}
	if p.Blocked() {
		t.Fatalf("blocked: %+v", p.Hops[0].Blocking)
	}
	catchUp := p.Hops[0]
	if catchUp.Kind != HopAgents || !hasFinding(catchUp.Findings, policy.KubeletTooOld, "node/a5") {
		t.Errorf("the catch-up hop should carry a5's KubeletTooOld as a gating finding it clears: %+v", catchUp.Findings)
	}
}

func TestBlockingRules(t *testing.T) {
	inv := testworld.Inventory(t, testworld.Join(testworld.Uniform("server", "s", 1, k30), testworld.Uniform("agent", "a", 1, k30))...)
	e := func(id, subject string) policy.Finding {
		return policy.Finding{ID: id, Severity: policy.Error, Subject: subject}
	}
	// A scripted policy. Hop 1 (v1.31): the agent is too old today and would be out of
	// skew at the target, and a server component is stale (which the hop's servers fix).
	// Hop 2 (v1.32): the target skips a minor, and a kube-proxy breaks only mid-hop.
	calls := 0
	evaluate := func(in *cluster.Inventory, o policy.Options) []policy.Finding {
		calls++
		if o.Target == nil { // the cluster while the hop runs
			if in.Nodes[0].Kubelet.Minor == 31 {
				return []policy.Finding{e(policy.KubeletTooOld, "node/a-1")}
			}
			return []policy.Finding{e(policy.KubeProxyTooOld, "kube-proxy/a-1")}
		}
		if o.Target.Minor == 31 {
			return []policy.Finding{
				e(policy.KubeletTooOld, "node/a-1"), e(policy.TargetKubeletOutOfSkew, "node/a-1"),
				e(policy.ComponentTooOld, "kube-scheduler/s-1"), {ID: policy.ServersMixed, Severity: policy.Warning, Subject: "servers"},
			}
		}
		return []policy.Finding{e(policy.TargetSkipsMinor, "target")}
	}
	p, err := Find(Request{Inventory: inv, Channel: "v1.32", Channels: testworld.Channels(t, "k3s"), Evaluate: evaluate})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(fs []policy.Finding) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.ID)
		}
		return strings.Join(s, ",")
	}
	if got := ids(p.Hops[0].Blocking); got != policy.TargetKubeletOutOfSkew {
		t.Errorf("hop 1 blocking = %s, want only the target rule (today's errors are check's business)", got)
	}
	if got, want := ids(p.Hops[0].Findings), "SKEW102,SKEW302,SKEW603,SKEW002"; got != want {
		t.Errorf("hop 1 findings = %s, want %s", got, want)
	}
	if got, want := ids(p.Hops[1].Blocking), "SKEW202,SKEW601"; got != want {
		t.Errorf("hop 2 blocking = %s, want %s (a new error mid-hop, a target finding)", got, want)
	}
	if calls != 4 {
		t.Errorf("policy evaluated %d times, want 2 per hop", calls)
	}
}

func hasFinding(fs []policy.Finding, id, subject string) bool {
	for _, f := range fs {
		if f.ID == id && f.Subject == subject {
			return true
		}
	}
	return false
}

func TestParseAgentMode(t *testing.T) {
	for in, want := range map[string]AgentMode{"": AgentsEach, "each": AgentsEach, "FINAL": AgentsFinal} {
		if got, err := ParseAgentMode(in); err != nil || got != want {
			t.Errorf("ParseAgentMode(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseAgentMode("some"); err == nil {
		t.Error("accepted some")
	}
}

// TestStaleKubeProxyBlocks: on RKE2 kube-proxy is a static pod that follows the node's
// release; one left on an old image falls out of skew once the servers move, and only
// a fix by hand helps (re-running the same release does not rewrite it).
func TestStaleKubeProxyBlocks(t *testing.T) {
	const r31, r32 = "v1.31.13+rke2r1", "v1.32.9+rke2r1"
	image := func(v string) string {
		return "rancher/hardened-kubernetes:" + strings.ReplaceAll(v, "+", "-") + "-build20250910"
	}
	pod := func(name, node, v string) corev1.Pod {
		return corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-" + node, Namespace: "kube-system", Labels: map[string]string{"component": name}},
			Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: name, Image: image(v)}}},
		}
	}
	nodes := []corev1.Node{nodeObj("s1", r31, true), nodeObj("a1", r31, false)}
	pods := []corev1.Pod{
		pod("kube-apiserver", "s1", r31), pod("kube-controller-manager", "s1", r31), pod("kube-scheduler", "s1", r31),
		pod("kube-proxy", "s1", r31), pod("kube-proxy", "a1", "v1.28.15+rke2r1"),
	}
	inv := cluster.Build(cluster.Objects{Nodes: nodes, Pods: pods})
	p, err := Find(Request{Inventory: inv, Version: testworld.Target(t, r32), Channels: testworld.Channels(t, "rke2")})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Blocked() || !hasFinding(p.Hops[0].Blocking, policy.KubeProxyTooOld, "kube-proxy/a1") {
		t.Fatalf("want hop 1 blocked by a1's kube-proxy, got %+v", p.Hops[0].Blocking)
	}
}

func nodeObj(name, v string, server bool) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{cluster.LabelHostname: name}}}
	if server {
		n.Labels[cluster.LabelControlPlane] = "true"
	}
	n.Status.NodeInfo.KubeletVersion = v
	return n
}

// hopLine renders a hop compactly for table tests: "minor v1.30.14+k3s1>v1.31.13+k3s1 s=3 a=5".
func hopLine(h Hop) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s>%s s=%d a=%d", h.Kind, h.From, h.To, len(h.Servers), len(h.Agents))
	if h.Blocked() {
		b.WriteString(" BLOCKED")
	}
	return b.String()
}

func hopLines(p *Path) []string {
	out := make([]string, len(p.Hops))
	for i, h := range p.Hops {
		out[i] = hopLine(h)
	}
	return out
}

// TestManualNodes: Windows agents and nodes on an architecture without an upgrade
// image stay where they are; each hop says what it needs of them, and a hop that would
// leave one out of skew is blocked.
func TestManualNodes(t *testing.T) {
	list := testworld.Channels(t, "rke2")
	cases := []struct {
		name    string
		nodes   []string
		custom  bool
		target  string
		manual  []string
		blocked []int // hop numbers
		err     error
	}{
		{"windows agent without suffix, within skew", []string{"server s1 v1.30.14+rke2r2", "agent l1 v1.30.14+rke2r2", "agent w1 v1.30.4 windows/amd64"},
			false, "v1.31.13+rke2r1", []string{"w1"}, nil, nil},
		{"windows agent left out of skew two hops later", []string{"server s1 v1.30.14+rke2r2", "agent w1 v1.29.4 windows/amd64"},
			false, "v1.33.5+rke2r1", []string{"w1"}, []int{3}, nil},
		{"s390x agent", []string{"server s1 v1.30.14+rke2r2", "agent z1 v1.30.14+rke2r2 linux/s390x"}, false, "v1.31.13+rke2r1", []string{"z1"}, nil, nil},
		{"s390x agent, mirror image", []string{"server s1 v1.30.14+rke2r2", "agent z1 v1.30.14+rke2r2 linux/s390x"}, true, "v1.31.13+rke2r1", nil, nil, nil},
		{"arm agent of RKE2 has no image", []string{"server s1 v1.30.14+rke2r2", "agent p1 v1.30.14+rke2r2 linux/arm"}, false, "v1.31.13+rke2r1", []string{"p1"}, nil, nil},
		{"s390x server", []string{"server s1 v1.30.14+rke2r2 linux/s390x"}, false, "v1.31.13+rke2r1", nil, nil, ErrManualServer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			inv := testworld.Inventory(t, tc.nodes...)
			p, err := Find(Request{Inventory: inv, Version: testworld.Target(t, tc.target), Channels: list, CustomImage: tc.custom})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var manual []string
			for _, m := range p.Manual {
				manual = append(manual, m.Name)
			}
			if fmt.Sprint(manual) != fmt.Sprint(tc.manual) {
				t.Errorf("manual = %v, want %v", manual, tc.manual)
			}
			var blocked []int
			for _, h := range p.Hops {
				for _, n := range append(append([]NodeStep{}, h.Servers...), h.Agents...) {
					for _, m := range tc.manual {
						if n.Name == m {
							t.Errorf("hop %d upgrades %s, which no image can", h.Number, m)
						}
					}
				}
				if h.Blocked() {
					blocked = append(blocked, h.Number)
				}
				if len(h.Servers) > 0 && len(h.Manual) != len(tc.manual) {
					t.Errorf("hop %d lists %d manual nodes, want %d", h.Number, len(h.Manual), len(tc.manual))
				}
				for _, m := range tc.manual {
					if len(h.Servers) > 0 && !hasFinding(h.Findings, policy.ManualUpgrade, "node/"+m) {
						t.Errorf("hop %d has no SKEW701 finding for %s", h.Number, m)
					}
				}
			}
			if fmt.Sprint(blocked) != fmt.Sprint(tc.blocked) {
				t.Errorf("blocked hops = %v, want %v", blocked, tc.blocked)
			}
		})
	}
}

// TestNodeScope: nodes the operator leaves out stay where they are and are named; a
// hop that would leave one out of skew is blocked; a server cannot be left out.
func TestNodeScope(t *testing.T) {
	list := testworld.Channels(t, "k3s")
	sel, _ := labels.Parse("pool!=old")
	inv := testworld.Inventory(t, "server s-1 v1.30.14+k3s1", "agent a-1 v1.30.14+k3s1", "agent a-2 v1.30.14+k3s1", "agent a-3 v1.30.14+k3s1")
	inv.Nodes[2].Labels = map[string]string{"pool": "old"}
	inv.Nodes[3].Labels = map[string]string{"kubectl-skew.io/exclude": "true"}
	// The fixture's v1.33 channel predates etcd v3.5.26 (SKEW903): acknowledged, so
	// that the path reaches v1.34, where the left-out agents fall out of skew.
	p, err := Find(Request{Inventory: inv, Version: testworld.Target(t, "v1.34.1+k3s1"), Channels: list, NodeSelector: sel, AcceptHazards: []string{"SKEW903"}})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, m := range p.Manual {
		if !m.Excluded {
			t.Errorf("%s is not marked as left out", m.Name)
		}
		left = append(left, m.Name)
	}
	if fmt.Sprint(left) != "[a-2 a-3]" {
		t.Errorf("left out = %v, want [a-2 a-3]", left)
	}
	last := p.Hops[len(p.Hops)-1]
	if !last.Blocked() || !hasFinding(last.Findings, policy.LeftOut, "node/a-2") {
		t.Errorf("the hop to v1.34 leaves a-2 four minors behind and must be blocked: %+v", last)
	}
	inv.Nodes[0].Labels = map[string]string{"kubectl-skew.io/exclude": "true"}
	if _, err := Find(Request{Inventory: inv, Version: testworld.Target(t, "v1.31.13+k3s1"), Channels: list}); !errors.Is(err, ErrManualServer) {
		t.Errorf("an excluded server: err = %v, want ErrManualServer", err)
	}
}
