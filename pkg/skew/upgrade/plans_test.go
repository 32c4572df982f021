package upgrade

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (go test ./pkg/skew/upgrade -run %s -update creates it): %v", t.Name(), err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs (rerun with -update after checking):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func planYAML(t *testing.T, plans ...*upgradev1.Plan) []byte {
	t.Helper()
	l, err := suc.PlanList(plans)
	if err != nil {
		t.Fatal(err)
	}
	b, err := yaml.Marshal(l.UnstructuredContent())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func firstStep(t *testing.T, distro string, agents upgradepath.AgentMode, specs ...string) (*upgradepath.Path, *Step) {
	t.Helper()
	p, err := upgradepath.Find(upgradepath.Request{Inventory: testworld.Inventory(t, specs...), Channel: "stable", Channels: testworld.Channels(t, distro), Agents: agents})
	if err != nil {
		t.Fatal(err)
	}
	st, err := nextStep(testworld.Inventory(t, specs...), p, nil, suc.DefaultPlanConfig(), suc.Record{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p, st
}

// TestPlansGolden builds the Plans of typical hops and compares them, as YAML, with
// the files under testdata/plans: what a user applies with -o yaml.
func TestPlansGolden(t *testing.T) {
	k3s := testworld.Join(testworld.Uniform("server", "s", 3, "v1.30.14+k3s1"), testworld.Uniform("agent", "a", 2, "v1.30.14+k3s1"))
	rke2 := testworld.Join([]string{"etcd e1 v1.31.13+rke2r1"}, testworld.Uniform("server", "s", 2, "v1.31.13+rke2r1"), testworld.Uniform("agent", "a", 2, "v1.31.13+rke2r1"))
	cfg := suc.DefaultPlanConfig()
	rec := suc.Record{Target: version.MustParse("v1.33.5+k3s1"), Path: []string{"v1.31.13+k3s1", "v1.32.9+k3s1", "v1.33.5+k3s1"}}

	cases := []struct {
		name  string
		build func(t *testing.T) []*upgradev1.Plan
	}{
		{"k3s-minor-hop", func(t *testing.T) []*upgradev1.Plan {
			p, st := firstStep(t, "k3s", upgradepath.AgentsEach, k3s...)
			return []*upgradev1.Plan{st.Plans[0], suc.AgentPlan(p.Distro, st.Hop, st.ServerPlan, st.Record, cfg)}
		}},
		{"rke2-etcd-only-server", func(t *testing.T) []*upgradev1.Plan {
			p, st := firstStep(t, "rke2", upgradepath.AgentsEach, rke2...)
			return []*upgradev1.Plan{st.Plans[0], suc.AgentPlan(p.Distro, st.Hop, st.ServerPlan, st.Record, cfg)}
		}},
		{"k3s-patch-hop-cordons-agents", func(t *testing.T) []*upgradev1.Plan {
			inv := testworld.Inventory(t, testworld.Join(testworld.Uniform("server", "s", 1, "v1.33.1+k3s1"), testworld.Uniform("agent", "a", 1, "v1.33.1+k3s1"))...)
			p, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Version: testworld.Target(t, "v1.33.5+k3s1")})
			if err != nil {
				t.Fatal(err)
			}
			h := p.Hops[0]
			return []*upgradev1.Plan{suc.AgentPlan(p.Distro, h, "", suc.Record{Target: p.Target, Path: []string{"v1.33.5+k3s1"}}, cfg)}
		}},
		{"mirror-and-concurrency", func(t *testing.T) []*upgradev1.Plan {
			c := cfg
			c.Namespace, c.ServiceAccount, c.ServerConcurrency, c.AgentConcurrency = "upgrades", "upgrader", 2, 3
			c.ImageRepository, c.Drain.Timeout, c.Drain.Force = "registry.example/rancher/k3s-upgrade", 20*time.Minute, true
			c.Drain.GracePeriod, c.Drain.PodSelector, c.Drain.DisableEviction, c.Drain.SkipWaitForDeleteTimeout = 30, "app!=keep", true, 90
			c.ImagePullSecrets, c.PostCompleteDelay = []string{"mirror-creds"}, time.Minute
			p, st := firstStep(t, "k3s", upgradepath.AgentsEach, k3s...)
			return []*upgradev1.Plan{suc.ServerPlan(p.Distro, st.Hop, rec, c), suc.AgentPlan(p.Distro, st.Hop, st.ServerPlan, rec, c)}
		}},
		{"snapshot", func(t *testing.T) []*upgradev1.Plan {
			node := upgradepath.NodeStep{Name: "s-1", Hostname: "s-1", From: version.MustParse("v1.30.14+k3s1")}
			return []*upgradev1.Plan{suc.SnapshotPlan(version.K3s, node, node.From, suc.SnapshotName(node.From), cfg)}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plans := c.build(t)
			for _, p := range plans {
				checkPlanSafe(t, p)
			}
			golden(t, "plans/"+c.name+".yaml", planYAML(t, plans...))
		})
	}
}

// checkPlanSafe is what no Plan of ours may ever be (docs/domain.md): a concurrency of
// 0, a missing or empty selector, no upgrade container, a channel instead of a
// version, an image without the version's tag, an unmarked Plan.
func checkPlanSafe(t *testing.T, p *upgradev1.Plan) {
	t.Helper()
	if p.Spec.Concurrency < 1 {
		t.Errorf("%s: concurrency %d", p.Name, p.Spec.Concurrency)
	}
	sel := p.Spec.NodeSelector
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) || len(suc.SelectedHostnames(p)) == 0 {
		t.Errorf("%s: selector %v selects no node or every node", p.Name, sel)
	}
	if p.Spec.Upgrade == nil || p.Spec.Upgrade.Image == "" {
		t.Errorf("%s: no upgrade container", p.Name)
	}
	if p.Spec.Channel != "" || p.Spec.Version == "" {
		t.Errorf("%s: channel %q version %q, want one pinned version", p.Name, p.Spec.Channel, p.Spec.Version)
	}
	v, err := version.Parse(p.Spec.Version)
	if err != nil || !strings.HasSuffix(p.Spec.Upgrade.Image, ":"+v.ImageTag()) {
		t.Errorf("%s: image %s does not carry version %s", p.Name, p.Spec.Upgrade.Image, p.Spec.Version)
	}
	if !suc.IsOurs(p.Labels) || p.Labels[suc.LabelRole] == "" {
		t.Errorf("%s: labels %v do not mark it ours", p.Name, p.Labels)
	}
	if p.Spec.ServiceAccountName == "" {
		t.Errorf("%s: no service account", p.Name)
	}
	if len(p.Name) > 63 {
		t.Errorf("%s: name longer than 63", p.Name)
	}
}

func TestPlanNameIsStableAndShort(t *testing.T) {
	v := version.MustParse("v1.31.13+k3s1")
	if got := suc.PlanName(suc.RoleServer, v); got != "kubectl-skew-server-v1.31.13-k3s1" {
		t.Errorf("PlanName = %q", got)
	}
	long := version.MustParse("v1.31.13-rc1.extra.long.suffix.for.testing.names+k3s1")
	a, b := suc.PlanName(suc.RoleAgent, long), suc.PlanName(suc.RoleAgent, long)
	if a != b || len(a) > 63 {
		t.Errorf("long name %q (%d) not stable or too long", a, len(a))
	}
}

func TestPlanConfigRefusesZeroConcurrency(t *testing.T) {
	for _, c := range []suc.PlanConfig{
		{Namespace: "n", ServiceAccount: "s", ServerConcurrency: 0, AgentConcurrency: 1, Drain: suc.Drain{Timeout: time.Minute, GracePeriod: -1}},
		{Namespace: "n", ServiceAccount: "s", ServerConcurrency: 1, AgentConcurrency: 0, Drain: suc.Drain{Timeout: time.Minute, GracePeriod: -1}},
		{Namespace: "n", ServiceAccount: "s", ServerConcurrency: 1, AgentConcurrency: 1, Drain: suc.Drain{GracePeriod: -1}},
		{Namespace: "", ServiceAccount: "s", ServerConcurrency: 1, AgentConcurrency: 1, Drain: suc.Drain{Timeout: time.Minute, GracePeriod: -1}},
	} {
		if c.Validate() == nil {
			t.Errorf("%+v validated", c)
		}
	}
	if err := suc.DefaultPlanConfig().Validate(); err != nil {
		t.Error(err)
	}
}

// TestAgentsSelectorKeepsServersOut: a node that became a server since planning
// never matches the agents' Plan, although its hostname is listed.
func TestAgentsSelectorKeepsServersOut(t *testing.T) {
	p, st := firstStep(t, "k3s", upgradepath.AgentsEach, testworld.Join(testworld.Uniform("server", "s", 1, "v1.30.14+k3s1"), testworld.Uniform("agent", "a", 1, "v1.30.14+k3s1"))...)
	agent := suc.AgentPlan(p.Distro, st.Hop, st.ServerPlan, st.Record, suc.DefaultPlanConfig())
	promoted := nodeObj("a-1", "v1.30.14+k3s1", true)
	promoted.Labels[cluster.LabelHostname] = "a-1"
	plain := nodeObj("a-1", "v1.30.14+k3s1", false)
	plain.Labels[cluster.LabelHostname] = "a-1"
	if hit := suc.Selects(agent, []corev1.Node{promoted}, nil); len(hit) != 0 {
		t.Errorf("the agent Plan selects the server %v", hit)
	}
	if hit := suc.Selects(agent, []corev1.Node{plain}, nil); len(hit) != 1 {
		t.Errorf("the agent Plan does not select its agent: %v", hit)
	}
}
