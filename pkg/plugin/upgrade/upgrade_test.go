package upgrade_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func TestUpgradeDryRunPrintsPlansAndWritesNothing(t *testing.T) {
	clitest.StartChannelServer(t)
	c := clitest.NewSUCCluster(t, clitest.K3sHA())
	r := c.Run(t, "upgrade", "--channel", "stable", "--dry-run=client")
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	clitest.Golden(t, "dry-run-k3s.yaml", r.Stdout)
	for _, want := range []string{"PREFLIGHT", "PLANS (hop 1 of 3, servers; namespace system-upgrade)", "kubectl-skew-server-v1.31.13-k3s1", "nothing was applied"} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Stderr)
		}
	}
	if w := c.Writes(); len(w) != 0 {
		t.Errorf("a dry run wrote: %v", w)
	}
	// The whole hop, for GitOps: the server Plan and the agent Plan whose prepare
	// step names it, both annotated with the hop.
	var list struct {
		Items []struct {
			Metadata struct {
				Name        string
				Annotations map[string]string
			}
			Spec struct{ Prepare *struct{ Args []string } }
		}
	}
	if err := yaml.Unmarshal([]byte(r.Stdout), &list); err != nil || len(list.Items) != 2 {
		t.Fatalf("stdout is not a List of the hop's two Plans: %v\n%s", err, r.Stdout)
	}
	server, agent := list.Items[0], list.Items[1]
	if agent.Spec.Prepare == nil || strings.Join(agent.Spec.Prepare.Args, " ") != "prepare "+server.Metadata.Name {
		t.Errorf("the agent Plan's prepare step does not name the server Plan %s: %+v", server.Metadata.Name, agent.Spec.Prepare)
	}
	for _, it := range list.Items {
		if it.Metadata.Annotations[suc.AnnotationHop] != "hop 1 of 3" {
			t.Errorf("%s is not annotated with its hop: %v", it.Metadata.Name, it.Metadata.Annotations)
		}
	}
}

func TestUpgradeWithoutYesOffTerminalRefuses(t *testing.T) {
	clitest.StartChannelServer(t)
	c := clitest.NewSUCCluster(t, clitest.K3sHA())
	r := c.Run(t, "upgrade")
	if r.Code != 1 || !strings.Contains(r.Stderr, "stdin is not a terminal; pass --yes") {
		t.Fatalf("exit %d\n%s", r.Code, r.Stderr)
	}
	if w := c.Writes(); len(w) != 0 {
		t.Errorf("an unconfirmed upgrade wrote: %v", w)
	}
}

func TestUpgradeAppliesTheServersFirst(t *testing.T) {
	clitest.StartChannelServer(t)
	c := clitest.NewSUCCluster(t, clitest.K3sHA())
	r := c.Run(t, "upgrade", "--yes")
	if r.Code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	for _, want := range []string{"plan.upgrade.cattle.io/kubectl-skew-server-v1.31.13-k3s1 created",
		"NEXT: the controller upgrades the 3 servers of hop 1 of 3 (v1.31.13+k3s1) one by one", "to release the 2 agents"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.Stdout)
		}
	}
	got, err := c.Dyn.Resource(suc.PlanResource).Namespace(suc.DefaultNamespace).Get(context.Background(), "kubectl-skew-server-v1.31.13-k3s1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetLabels()[suc.LabelManagedBy] != suc.ManagedBy {
		t.Errorf("labels %v", got.GetLabels())
	}
	// The same command again converges: the Plan is there, nothing to write, no question.
	before := len(c.Writes())
	again := c.Run(t, "upgrade")
	if again.Code != 0 || !strings.Contains(again.Stdout, "unchanged") {
		t.Fatalf("second run: exit %d\n%s\n%s", again.Code, again.Stdout, again.Stderr)
	}
	if w := c.Writes(); len(w) != before {
		t.Errorf("the second run wrote: %v", w[before:])
	}
}

func TestUpgradeRefusesAPlanThatIsNotOurs(t *testing.T) {
	clitest.StartChannelServer(t)
	c := clitest.NewSUCCluster(t, clitest.K3sHA())
	foreign := map[string]any{"apiVersion": "upgrade.cattle.io/v1", "kind": "Plan",
		"metadata": map[string]any{"name": "kubectl-skew-server-v1.31.13-k3s1", "namespace": "system-upgrade"},
		"spec":     map[string]any{"concurrency": int64(1), "upgrade": map[string]any{"image": "x"}}}
	if err := c.Dyn.Tracker().Add(&unstructured.Unstructured{Object: foreign}); err != nil {
		t.Fatal(err)
	}
	r := c.Run(t, "upgrade", "--yes")
	if r.Code != 1 || !strings.Contains(r.Stderr, "not created by kubectl-skew") {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if w := c.Writes(); len(w) != 0 {
		t.Errorf("wrote over a Plan that is not ours: %v", w)
	}
}

func TestUpgradeRefusals(t *testing.T) {
	clitest.StartChannelServer(t)
	rancher := clitest.K3sHA()
	rancher[0].Labels["rke.cattle.io/machine"] = "m"
	for _, c := range []struct {
		name  string
		nodes []clitest.NodeSpec
		code  int
		want  string
	}{
		{"Rancher", rancher, 1, "preflight failed (rancher)"},
		{"skew only", []clitest.NodeSpec{clitest.Server("s-1", "v1.30.14+k3s1"), clitest.Agent("new", "v1.31.13+k3s1")}, 3, "because of skew findings"},
		{"not K3s", []clitest.NodeSpec{clitest.KubeadmCP("cp", "v1.31.4"), clitest.Agent("w", "v1.31.4")}, 1, "preflight failed (distro)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			sc := clitest.NewSUCCluster(t, c.nodes)
			r := sc.Run(t, "upgrade", "--yes")
			if r.Code != c.code || !strings.Contains(r.Stderr, c.want) || !strings.Contains(r.Stdout, "REFUSED") {
				t.Fatalf("exit %d, want %d with %q\n%s\n%s", r.Code, c.code, c.want, r.Stdout, r.Stderr)
			}
			if w := sc.Writes(); len(w) != 0 {
				t.Errorf("a refused upgrade wrote: %v", w)
			}
		})
	}
}

func TestUpgradeNothingToDo(t *testing.T) {
	clitest.StartChannelServer(t)
	c := clitest.NewSUCCluster(t, []clitest.NodeSpec{clitest.Server("s-1", "v1.33.5+k3s1"), clitest.Agent("a-1", "v1.33.5+k3s1")})
	r := c.Run(t, "upgrade", "--yes", "--wait")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Nothing to do: every node runs v1.33.5+k3s1") {
		t.Fatalf("exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	if w := c.Writes(); len(w) != 0 {
		t.Errorf("wrote: %v", w)
	}
}

func TestUpgradeBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--server-concurrency", "0"}, "must be at least 1"},
		{[]string{"--agent-concurrency", "-1"}, "must be at least 1"},
		{[]string{"--dry-run=maybe"}, `--dry-run "maybe": use client or server`},
		{[]string{"--dry-run", "--wait"}, "--wait follows an upgrade that is applied"},
		{[]string{"-o", "yaml", "--snapshot"}, "--snapshot takes a snapshot through a Job"},
		{[]string{"--channel", "stable", "--version", "v1.33.5+k3s1"}, "give --channel or --version, not both"},
		{[]string{"--upgrade-image", "mirror/k3s-upgrade:v1"}, "without a tag"},
		{[]string{"--agents", "some"}, "use each or final"},
		{[]string{"-o", "table"}, "unknown output format"},
		{[]string{"--driver", "ansible"}, `--driver "ansible": use suc, command or manual`},
		{[]string{"--command", "true"}, "--command works with --driver command or manual"},
		{[]string{"--driver", "command"}, "--command goes with --driver command"},
		{[]string{"--driver", "manual", "--command", "true"}, "--command goes with --driver command"},
		{[]string{"--driver", "command", "--command", "true", "--suc-namespace", "x"}, "--suc-namespace shapes system-upgrade-controller Plans"},
		{[]string{"--driver", "command", "--command", "true", "--concurrency", "0"}, "--concurrency 0: at least 1"},
		{[]string{"--driver", "command", "--command", "true", "-o", "yaml"}, "writes no Plans to print"},
		{[]string{"--driver", "manual", "--rancher-cluster", "x"}, "drop --rancher-cluster"},
	} {
		r := clitest.Run(t, clitest.Cluster{}, append([]string{"upgrade"}, c.args...)...)
		if r.Code != 1 || !strings.Contains(r.Stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.Code, r.Stderr, c.want)
		}
	}
}

func TestUpgradeRancherAndHazardFlagsBadInput(t *testing.T) {
	sc := clitest.K3sCluster("v1.30.14+k3s1", 1, 1)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"upgrade", "--version", "v1.31.13+k3s1", "--accept-hazard", "SKEW999"}, `--accept-hazard "SKEW999": no hop hazard has that ID`},
		{[]string{"upgrade", "--version", "v1.31.13+k3s1", "--downstream-context", "edge"}, "--downstream-context works with --rancher-cluster"},
		{[]string{"upgrade", "--version", "v1.31.13+k3s1", "--rancher-drain-agents"}, "--rancher-drain-agents works with --rancher-cluster"},
		{[]string{"upgrade", "--rancher-cluster", "c-m-x", "--version", "v1.31.13+k3s1", "--server-concurrency", "0"}, "--server-concurrency 0: must be at least 1"},
		{[]string{"upgrade", "--rancher-cluster", "fleet-default/x", "-f", "."}, "-f needs the downstream cluster's own kubeconfig"},
	} {
		r := clitest.Run(t, sc, tc.args...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, tc.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", tc.args, r.Code, r.Stderr, tc.want)
		}
	}
}
