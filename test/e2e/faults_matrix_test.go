package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/test/nodesim"
	"github.com/kubectl-skew/kubectl-skew/test/ranchersim"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// The four scenarios of the matrix. Each test runs its scenario's Latin square: one
// upgrade per fault kind, each striking every point once with a different fault, so
// every (point, fault) cell is struck exactly once; the last run ends with abort
// before the same command finishes it. docs/reliability.md has the table.

// TestFaultMatrixSUCK3sHA: SUC on HA K3s (3 servers, 2 agents) across two hops, with
// the pre-upgrade etcd snapshot.
func TestFaultMatrixSUCK3sHA(t *testing.T) {
	sc := sucScenario("k3s-healthy-ha", func(s *scenarios.Scenario) { s.Nodes[1].Count = 2 },
		[]string{"upgrade", "--channel-server", k3sChannels(), "--version", k3sTwoHops, "--snapshot", "--yes", "--wait", "--timeout", "3m"},
		"v1.31.13+k3s1", k3sTwoHops, nil)
	sc.channels, sc.moved = env.sb.K3sChannels, [2]string{"v1.31", "v1.31.14+k3s1"}
	runSquare(t, sc)
}

// TestFaultMatrixSUCRKE2EtcdOnly: SUC on RKE2 with an etcd-only server (2 servers, 1
// agent), two hops, with the snapshot; agents wait for the static control-plane pods.
func TestFaultMatrixSUCRKE2EtcdOnly(t *testing.T) {
	sc := sucScenario("rke2-etcd", func(s *scenarios.Scenario) {
		for i := range s.Nodes {
			s.Nodes[i].Hostname = ""
		}
		s.Nodes[2].Count, s.Nodes[2].Kubelets = 1, nil
		s.Nodes[2].Kubelet = "v1.31.13+rke2r1"
	}, []string{"upgrade", "--channel-server", rke2Channels(), "--version", rke2Target, "--snapshot", "--yes", "--wait", "--timeout", "3m"},
		"v1.32.12+rke2r1", rke2Target, []string{"rke2-server-1.lab.example", "rke2-server-2.lab.example"})
	sc.channels, sc.moved = env.sb.RKE2Channels, [2]string{"v1.32", "v1.32.13+rke2r1"}
	runSquare(t, sc)
}

// TestFaultMatrixCommandDriver: --driver command (the simulator's install program) on
// HA K3s (3 servers, 2 agents, one at a time) across two hops. No controller, no
// snapshot. Two agents, so that a run killed while agents move leaves one to do: the
// re-run that finds none left is TestFaultCommandDriverKilledOnTheLastNode.
func TestFaultMatrixCommandDriver(t *testing.T) {
	sc := &faultScenario{
		name: "command", label: "command driver, k3s-healthy-ha", driver: "command",
		seed: func(t *testing.T) {
			fresh(t, "k3s-healthy-ha", func(s *scenarios.Scenario) { s.Nodes[1].Count = 2 })
			cleanRun(t)
			seedForeign(t)
		},
		args:      []string{"upgrade", "--channel-server", k3sChannels(), "--driver", "command", "--command", "nodesim-install", "--version", k3sTwoHops, "--yes", "--concurrency", "1"},
		abortArgs: []string{"abort", "--yes"},
		mid:       "v1.31.13+k3s1", target: k3sTwoHops,
		faults:   []fault{faultKill, faultInterrupt, faultAPIServer, faultChannel},
		channels: env.sb.K3sChannels, moved: [2]string{"v1.31", "v1.31.14+k3s1"},
	}
	sc.points = nodePoints(sc, false)
	sc.check = func(t *testing.T, since time.Time, final bool) {
		checkNodeInvariants(t, installEvents(since), serverNames(t), nil, sc.target, final)
	}
	runSquare(t, sc)
}

// TestFaultCommandDriverKilledOnTheLastNode: a --driver command run killed once the
// last node's command ran. The node comes back on the target, so the same command
// has no step left to take: it still ends what the killed run left, uncordoning that
// node and closing the run's record (viacommand's Tidy).
func TestFaultCommandDriverKilledOnTheLastNode(t *testing.T) {
	fresh(t, "k3s-healthy-ha", func(s *scenarios.Scenario) { s.Nodes[1].Count = 1 })
	cleanRun(t)
	sc := &faultScenario{args: []string{"upgrade", "--channel-server", k3sChannels(), "--driver", "command", "--command", "nodesim-install", "--version", "v1.31.13+k3s1", "--yes"}}
	since := time.Now()
	run := startFaultRun(t, sc.args)
	waitFor(t, "the agent's install", func() (bool, string) {
		for _, e := range eventsSince(since) {
			if e.Event == nodesim.EventInstallRequested && e.Node == "k3s-agent-1" {
				return true, ""
			}
		}
		return false, "not requested yet"
	})
	run.signal(syscall.SIGKILL)
	run.wait(t)
	freeLease(t, sc)
	if r := skew(t, sc.args...); r.code != 0 {
		t.Fatalf("the re-run: %s", r)
	}
	settle(t)
	noneCordoned(t)
	if rec := runRecord(t); rec == nil || rec.State != runrecord.StateDone {
		t.Errorf("the run record after the re-run: %+v", rec)
	}
}

// TestFaultMatrixRancherImported: an imported K3s cluster driven through Rancher's
// management Cluster (2 servers, 3 workers), two hops; the controller is the Rancher
// simulator. No snapshot: Rancher takes none for imported clusters.
func TestFaultMatrixRancherImported(t *testing.T) {
	const name, from, mid, to = "c-m-faults01", "v1.30.14+k3s2", "v1.31.13+k3s1", "v1.32.9+k3s1"
	sc := &faultScenario{
		name: "rancher", label: "Rancher-imported K3s", driver: "rancher", rancherCluster: name,
		seed: func(t *testing.T) {
			importedFixture(t, name, rancher.DriverK3s, from, nil)
			// A node and a phase take a second (200ms elsewhere): a whole hop in a
			// couple of seconds would pass a point while the fault before it lands.
			old := env.sb.Rancher.SetStep(time.Second)
			t.Cleanup(func() { env.sb.Rancher.SetStep(old) })
			seedImported(t, "c-m-foreign", rancher.DriverK3s, from, func(f *ranchersim.ImportedFixture) {
				f.DisplayName = "someone-else"
				f.Nodes = f.Nodes[:1]
			})
		},
		args:      []string{"upgrade", "--rancher-cluster", name, "--version", to, "--channel-server", k3sChannels(), "--wait", "--yes", "--timeout", "1m"},
		abortArgs: []string{"abort", "--rancher-cluster", name, "--yes"},
		mid:       mid, target: to,
		faults:   allFaults,
		channels: env.sb.K3sChannels, moved: [2]string{"v1.31", "v1.31.14+k3s1"},
		restartController: func(*testing.T) { env.sb.Rancher.Restart(time.Second) },
	}
	condition := func(t *testing.T, says string) bool {
		return strings.Contains(importedState(t, name).Condition(rancher.ConditionUpgraded).Message, says)
	}
	moved := func(since time.Time, server bool) bool {
		for _, e := range rancherMovesAll(since) {
			if e.Cluster == name && strings.Contains(e.Roles, "control-plane") == server {
				return true
			}
		}
		return false
	}
	sc.points = map[point]func(*testing.T, time.Time, time.Time) bool{
		atWrite: func(_ *testing.T, _, mark time.Time) bool {
			for _, v := range env.sb.Rancher.VersionLog(name) {
				if v.Time.After(mark) {
					return true
				}
			}
			return false
		},
		// Rancher names the nodes it upgrades for one step of the simulator (200ms), which a
		// loaded machine's poll may miss: a node of the group moved counts too.
		atServerMoving: func(t *testing.T, _, mark time.Time) bool {
			return moved(mark, true) || condition(t, "controlplane node [")
		},
		atServerBack: func(_ *testing.T, _, mark time.Time) bool { return moved(mark, true) },
		atBetweenHops: func(_ *testing.T, since, _ time.Time) bool {
			on := map[string]bool{}
			for _, e := range rancherMovesAll(since) {
				if e.Cluster == name && minor(e.To) >= minor(mid) {
					on[e.Machine] = true
				}
			}
			return len(on) == 5
		},
		atAgents: func(t *testing.T, _, mark time.Time) bool { return moved(mark, false) || condition(t, "worker node [") },
	}
	sc.check = func(t *testing.T, since time.Time, final bool) {
		checkRancherInvariants(t, name, from, to, since, final)
	}
	runSquare(t, sc)
}

// runSquare runs the scenario's Latin square, one subtest per run.
func runSquare(t *testing.T, sc *faultScenario) {
	began := time.Now()
	runs := latinRuns(sc)
	checkMatrixDoc(t, sc, runs)
	for r, steps := range runs {
		t.Run(fmt.Sprintf("run%d", r+1), func(t *testing.T) {
			if bug := sc.bugs[r+1]; bug != "" {
				t.Skipf("fails on a product bug: %s", bug)
			}
			sc.seed(t)
			runFaultChain(t, sc, steps, r+1, r == len(runs)-1)
		})
	}
	t.Logf("%s: %d runs, %d cells, in %v", sc.name, len(runs), len(runs)*len(runs[0]), time.Since(began).Round(time.Second))
}

// sucScenario is a scenario of the SUC driver: the points read from the simulator's
// log and the Plans, the invariants from its log over the whole chain.
func sucScenario(scenario string, edit func(*scenarios.Scenario), args []string, mid, target string, controlPlane []string) *faultScenario {
	sc := &faultScenario{
		name: scenario, label: "SUC, " + scenario, driver: "suc",
		seed: func(t *testing.T) {
			fresh(t, scenario, edit)
			cleanRun(t)
			seedForeign(t)
		},
		args: args, abortArgs: []string{"abort", "--yes"},
		mid: mid, target: target,
		faults: allFaults,
		restartController: func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := env.sb.RestartSUC(ctx); err != nil {
				t.Fatal(err)
			}
		},
	}
	sc.points = nodePoints(sc, true)
	sc.check = func(t *testing.T, since time.Time, final bool) {
		events := upgradeEvents(since)
		checkOrder(t, events)
		checkNodeInvariants(t, events, serverNames(t), controlPlane, sc.target, final)
	}
	return sc
}

// nodePoints detect the points from the node simulator's log, the Plans (SUC) or the
// run record (the command driver), and the nodes.
func nodePoints(sc *faultScenario, withSnapshot bool) map[point]func(*testing.T, time.Time, time.Time) bool {
	event := func(match func(nodesim.Event, map[string]bool) bool) func(*testing.T, time.Time, time.Time) bool {
		return func(t *testing.T, _, m time.Time) bool {
			servers := serverNames(t)
			for _, e := range eventsSince(m) {
				if match(e, servers) {
					return true
				}
			}
			return false
		}
	}
	pts := map[point]func(*testing.T, time.Time, time.Time) bool{
		atWrite: writeSeen(sc.driver),
		atServerMoving: event(func(e nodesim.Event, servers map[string]bool) bool {
			return e.Event == nodesim.EventNodeDown && servers[e.Node]
		}),
		atServerBack: event(func(e nodesim.Event, servers map[string]bool) bool {
			return e.Event == nodesim.EventNodeUpgraded && e.Message == "True" && servers[e.Node]
		}),
		atBetweenHops: func(t *testing.T, _, _ time.Time) bool {
			for _, v := range nodeKubelets(t) {
				if minor(v) < minor(sc.mid) {
					return false
				}
			}
			return true
		},
		atAgents: event(func(e nodesim.Event, servers map[string]bool) bool {
			return !servers[e.Node] && e.Node != "" && (e.Event == nodesim.EventJobStarted || e.Event == nodesim.EventInstallRequested || e.Event == nodesim.EventNodeDown) &&
				!strings.HasPrefix(e.Plan, "kubectl-skew-snapshot-")
		}),
	}
	if withSnapshot {
		pts[atSnapshot] = event(func(e nodesim.Event, _ map[string]bool) bool {
			return e.Event == nodesim.EventJobComplete && strings.HasPrefix(e.Plan, "kubectl-skew-snapshot-")
		})
	}
	return pts
}

// writeSeen detects the next write of ours after the mark: a Plan's spec (its
// generation; SUC's status writes leave it) or the command driver's run record.
func writeSeen(driver string) func(*testing.T, time.Time, time.Time) bool {
	var at time.Time
	seen := map[string]string{}
	read := func(t *testing.T) map[string]string {
		out := map[string]string{}
		if driver == "command" {
			if cm, err := env.sb.Client.CoreV1().ConfigMaps(runrecord.DefaultNamespace).Get(context.Background(), runrecord.Name, metav1.GetOptions{}); err == nil {
				out["record"] = cm.ResourceVersion
			}
			return out
		}
		l, err := env.sb.Dynamic.Resource(plansGVR).Namespace(sandbox.SUCNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=kubectl-skew"})
		if err != nil {
			return seen // the apiserver may be restarting: nothing new seen
		}
		for _, p := range l.Items {
			if !strings.HasPrefix(p.GetName(), "kubectl-skew-snapshot-") {
				out[p.GetName()] = fmt.Sprint(p.GetGeneration())
			}
		}
		return out
	}
	return func(t *testing.T, _, mark time.Time) bool {
		now := read(t)
		if !at.Equal(mark) {
			at, seen = mark, now
			return false
		}
		for k, v := range now {
			if seen[k] != v {
				return true
			}
		}
		return false
	}
}

// checkRancherInvariants: the versions we set go up one hop at a time, each set once
// (no duplicate write); no worker moves to a minor before every control-plane node
// runs it; the other imported cluster is untouched; final adds the Cluster on the
// target, Upgraded True and no abort mark left.
func checkRancherInvariants(t *testing.T, name, from, to string, since time.Time, final bool) {
	t.Helper()
	var set []string
	for _, v := range env.sb.Rancher.VersionLog(name) {
		if !v.Time.After(since) {
			continue
		}
		for _, s := range set {
			if s == v.Version {
				t.Errorf("version %s was set twice: %v", v.Version, set)
			}
		}
		if len(set) > 0 && minor(v.Version) < minor(set[len(set)-1]) {
			t.Errorf("version %s set after %s: a downgrade", v.Version, set[len(set)-1])
		}
		set = append(set, v.Version)
	}
	ver := map[string]string{}
	servers := map[string]bool{}
	for _, n := range importedState(t, name).Nodes {
		ver[n.Node], servers[n.Node] = from, n.ControlPlane
	}
	for _, e := range rancherMovesAll(since) {
		if e.Cluster != name {
			continue
		}
		ver[e.Machine] = e.To
		if servers[e.Machine] {
			continue
		}
		for s := range servers {
			if servers[s] && minor(ver[s]) < minor(e.To) {
				t.Errorf("worker %s moved to %s while control-plane node %s ran %s", e.Machine, e.To, s, ver[s])
			}
		}
	}
	foreign, err := env.sb.Dynamic.Resource(rancher.ManagementClusterResource).Get(context.Background(), "c-m-foreign", metav1.GetOptions{})
	if err != nil {
		t.Errorf("the other imported cluster: %v", err)
	} else {
		if v, _, _ := unstructured.NestedString(foreign.Object, "spec", "k3sConfig", "kubernetesVersion"); v != from {
			t.Errorf("the other imported cluster's version was changed to %s", v)
		}
		for _, m := range foreign.GetManagedFields() {
			if m.Manager == rancher.FieldManager {
				t.Errorf("we wrote the other imported cluster: %+v", m)
			}
		}
	}
	if !final {
		return
	}
	s := importedState(t, name)
	if s.Cluster.Version != to || s.Cluster.StatusVersion != to || s.Condition(rancher.ConditionUpgraded).Status != "True" {
		t.Errorf("after the run: spec %s, applied %s, %v", s.Cluster.Version, s.Cluster.StatusVersion, s.Cluster.Conditions)
	}
	if a := s.Cluster.Annotations[rancher.AnnotationAbort]; a != "" {
		t.Errorf("the abort mark is left on %s: %s", name, a)
	}
	for _, n := range s.Nodes {
		if n.KubeletVersion != to {
			t.Errorf("node %s runs %s, want %s", n.Node, n.KubeletVersion, to)
		}
	}
}
