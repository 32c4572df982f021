package preflight

import (
	"errors"
	"strings"
	"testing"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/etcdsnapshot"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

var testNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// world is what a cluster answers, written as facts: no client, fake or real.
type world struct {
	nodes        []corev1.Node
	plans        []upgradev1.Plan
	rancherPlans []string
	rancherAgent bool
	jobs         []batchv1.Job
	deny         map[string]bool // "verb resource"
	snapshotAPI  bool
	snapshots    []etcdsnapshot.Snapshot
	metrics      string
	metricsErr   error
	uses         []deprecation.Use
	noSUC        bool
	unavailable  bool
	drain        DrainFacts
	secrets      map[string]corev1.SecretType
}

func newWorld(t *testing.T, specs ...string) *world {
	return &world{nodes: testworld.Nodes(t, specs...), deny: map[string]bool{}}
}

func healthyK3s(t *testing.T) *world {
	return newWorld(t, testworld.Join(testworld.Uniform("server", "s", 3, "v1.30.14+k3s1"), testworld.Uniform("agent", "a", 2, "v1.30.14+k3s1"))...)
}

func defaultOptions() Options {
	return Options{Namespace: suc.DefaultNamespace, Deployment: suc.DefaultDeployment, ServiceAccount: suc.DefaultServiceAccount,
		SnapshotMaxAge: etcdsnapshot.DefaultMaxAge, Now: testNow, Drain: suc.DefaultPlanConfig().Drain, AgentConcurrency: 1}
}

// facts is what Gather would have read from this world for a run with options o.
func (w *world) facts(t *testing.T, o Options) *Facts {
	t.Helper()
	inv := cluster.Build(cluster.Objects{Nodes: w.nodes})
	f := &Facts{Nodes: w.nodes, Inventory: inv, PlanAPIServed: !w.noSUC, Plans: w.plans, Jobs: w.jobs,
		RancherAgent: w.rancherAgent, RancherPlans: w.rancherPlans, SnapshotsServed: w.snapshotAPI, Snapshots: w.snapshots,
		APIs: w.apiScan(t), Access: map[Permission]bool{}}
	if inv.Distro.IsRancherDistro() {
		path, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Channel: "stable", Channels: testworld.Channels(t, string(inv.Distro))})
		if err != nil {
			t.Fatal(err)
		}
		f.Path = path
	}
	if w.noSUC {
		f.DeploymentErr, f.ServiceAccountErr = notFound("deployments"), notFound("serviceaccounts")
	} else {
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: suc.DefaultDeployment, Namespace: suc.DefaultNamespace}}
		dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "rancher/system-upgrade-controller:v0.20.1"}}
		if !w.unavailable {
			dep.Status.AvailableReplicas = 1
			dep.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue}}
		}
		f.Deployment = dep
	}
	for _, p := range Required(o) {
		f.Access[p] = !w.deny[p.Verb+" "+p.Resource]
	}
	f.Drain = w.drain
	f.PullSecrets, f.PullSecretErrs = map[string]*corev1.Secret{}, map[string]error{}
	for _, n := range o.ImagePullSecrets {
		if t, ok := w.secrets[n]; ok {
			f.PullSecrets[n] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: n}, Type: t}
		} else {
			f.PullSecretErrs[n] = notFound("secrets")
		}
	}
	return f
}

func notFound(res string) error {
	return apierrors.NewNotFound(schema.GroupResource{Resource: res}, "x")
}

func (w *world) run(t *testing.T, tune func(*Options)) *Report {
	t.Helper()
	o := defaultOptions()
	if tune != nil {
		tune(&o)
	}
	return Evaluate(w.facts(t, o), o)
}

func plan(name string, ours bool, sel *metav1.LabelSelector) upgradev1.Plan {
	p := upgradev1.Plan{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: suc.DefaultNamespace, Labels: map[string]string{}}}
	if ours {
		p.Labels[suc.LabelManagedBy], p.Labels[suc.LabelRole] = suc.ManagedBy, suc.RoleServer
	}
	p.Spec = upgradev1.PlanSpec{Concurrency: 1, Version: "v1.31.13+k3s1", NodeSelector: sel, Upgrade: &upgradev1.ContainerSpec{Image: "rancher/k3s-upgrade"}}
	return p
}

func failedJob(name, planName, node, msg string) batchv1.Job {
	j := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: suc.DefaultNamespace, Labels: map[string]string{
		suc.LabelManagedBy: suc.ManagedBy, suc.LabelJobPlan: planName, suc.LabelJobNode: node, suc.LabelJobVersion: "v1.31.13-k3s1"}}}
	j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: msg}}
	return j
}

const deprecatedMetrics = `# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1
process_start_time_seconds 1.7956908e+09
`

func TestPreflight(t *testing.T) {
	skewed := []string{"server s-1 v1.30.14+k3s1", "agent new v1.31.13+k3s1"}
	cases := []struct {
		name  string
		world func(t *testing.T) *world
		tune  func(*Options)
		// want maps check names to their result and a piece of their message.
		want map[string][2]string
	}{
		{"healthy K3s", healthyK3s, nil, map[string][2]string{
			CheckDistro: {"pass", "K3s, servers on v1.30.14+k3s1"}, CheckPlanCRD: {"pass", "served"}, CheckController: {"pass", "v0.20.1"},
			CheckServiceAccount: {"pass", ""}, CheckPermissions: {"pass", ""}, CheckRancher: {"pass", ""}, CheckForeignPlans: {"pass", ""},
			CheckFailedJobs: {"pass", ""}, CheckNodes: {"pass", ""}, CheckSkew: {"pass", ""},
			CheckSnapshot: {"warn", "does not serve"}, CheckDeprecated: {"pass", "uses an API that v1.31 to v1.33 removes"},
		}},
		{"not K3s", func(t *testing.T) *world { return newWorld(t, "server cp v1.31.4", "agent w v1.31.4") }, nil, map[string][2]string{
			CheckDistro: {"fail", "v1.31.4: not a K3s or RKE2 release"}, CheckPlanCRD: {"skipped", ""}, CheckDeprecated: {"skipped", ""},
		}},
		{"SUC missing", func(t *testing.T) *world { w := healthyK3s(t); w.noSUC = true; return w }, nil, map[string][2]string{
			CheckPlanCRD:        {"fail", "not installed"},
			CheckController:     {"fail", "not found"},
			CheckServiceAccount: {"fail", "not found"},
			CheckForeignPlans:   {"skipped", ""},
		}},
		{"controller not available", func(t *testing.T) *world { w := healthyK3s(t); w.unavailable = true; return w }, nil, map[string][2]string{
			CheckController: {"fail", "no available replica"},
		}},
		{"missing permissions", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.deny["create plans"], w.deny["watch nodes"] = true, true
			return w
		}, nil, map[string][2]string{
			CheckPermissions: {"fail", "missing: create plans.upgrade.cattle.io in namespace system-upgrade; watch nodes cluster-wide"},
		}},
		{"Rancher-provisioned", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.nodes[0].Labels["rke.cattle.io/machine"] = "x"
			w.rancherAgent = true
			return w
		}, nil, map[string][2]string{
			CheckRancher: {"fail", "has label rke.cattle.io/machine (provisioned by Rancher); deployment cattle-system/cattle-cluster-agent runs"},
		}},
		{"Rancher-imported, overridden", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.nodes[3].Labels["upgrade.cattle.io/kubernetes-upgrade"] = "true"
			w.rancherPlans = []string{"k3s-master-plan"}
			return w
		}, func(o *Options) { o.AllowRancher = true }, map[string][2]string{
			CheckRancher: {"warn", "Plans in cattle-system: k3s-master-plan; going on because of --allow-rancher"},
		}},
		{"foreign Plan selects our nodes", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.plans = append(w.plans, plan("k3s-server", false, &metav1.LabelSelector{MatchLabels: map[string]string{cluster.LabelControlPlane: "true"}}),
				plan("os-patch", false, nil), // no selector: selects nothing
				plan("kubectl-skew-server-v1.31.13-k3s1", true, &metav1.LabelSelector{}))
			return w
		}, nil, map[string][2]string{
			CheckForeignPlans: {"fail", "k3s-server (selects s-1, s-2, s-3); 1 Plan of ours from an earlier run (kubectl-skew-server-v1.31.13-k3s1) will be resumed"},
		}},
		{"foreign Plan, nodes opted out", func(t *testing.T) *world {
			w := healthyK3s(t)
			for i := range w.nodes {
				w.nodes[i].Labels[suc.NodePlanLabelPrefix+"everything"] = "disabled"
			}
			w.plans = append(w.plans, plan("everything", false, &metav1.LabelSelector{}))
			return w
		}, nil, map[string][2]string{CheckForeignPlans: {"pass", ""}}},
		{"failed Job of ours", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.plans = append(w.plans, plan("kubectl-skew-agent-v1.31.13-k3s1", true, &metav1.LabelSelector{}))
			w.jobs = append(w.jobs, failedJob("apply-x", "kubectl-skew-agent-v1.31.13-k3s1", "a-1", "disk full"))
			return w
		}, nil, map[string][2]string{CheckFailedJobs: {"fail", "Job apply-x on node a-1: BackoffLimitExceeded: disk full"}}},
		{"failed Job, --retry-failed", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.plans = append(w.plans, plan("kubectl-skew-agent-v1.31.13-k3s1", true, &metav1.LabelSelector{}))
			w.jobs = append(w.jobs, failedJob("apply-x", "kubectl-skew-agent-v1.31.13-k3s1", "a-1", "disk full"))
			w.deny["delete jobs"] = true
			return w
		}, func(o *Options) { o.RetryFailed = true }, map[string][2]string{
			CheckFailedJobs:  {"warn", "--retry-failed deletes them"},
			CheckPermissions: {"fail", "delete jobs.batch"},
		}},
		{"NotReady and cordoned", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.nodes[3].Status.Conditions[0].Status = corev1.ConditionFalse
			w.nodes[4].Spec.Unschedulable = true
			return w
		}, nil, map[string][2]string{CheckNodes: {"warn", "NotReady: a-1 (an upgrade Job cannot run there; the Plan would hang); cordoned: a-2"}}},
		{"Windows agent", func(t *testing.T) *world {
			return newWorld(t, "server s-1 v1.30.14+k3s1", "agent w-1 v1.30.4 windows/amd64")
		}, nil, map[string][2]string{CheckPlatforms: {"warn", "w-1 (windows/amd64, v1.30.4)"}, CheckSkew: {"pass", ""}}},
		{"PDB allowing no disruption and a controllerless pod on agents", func(t *testing.T) *world {
			w := healthyK3s(t)
			web := map[string]string{"app": "web"}
			w.drain.Pods = []corev1.Pod{pod("default", "web-1", "a-1", "ReplicaSet/web", web), pod("default", "web-2", "a-2", "ReplicaSet/web", web),
				pod("default", "lonely", "a-2", "", nil)}
			w.drain.PDBs = []policyv1.PodDisruptionBudget{pdb("default", "web", web, 0)}
			return w
		}, nil, map[string][2]string{CheckDrain: {"fail", "PodDisruptionBudget default/web allows no disruption of pod default/web-1 on a-1"}}},
		{"pods unreadable: drain skipped", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.drain.PodsErr = apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("no"))
			return w
		}, nil, map[string][2]string{CheckDrain: {"skipped", "cannot list pods: forbidden"}}},
		{"a warning, --strict", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.drain.Pods = []corev1.Pod{pod("default", "api-1", "a-1", "ReplicaSet/api", nil)}
			return w
		}, func(o *Options) { o.Strict = true }, map[string][2]string{CheckDrain: {"fail", "an outage"}}},
		{"pull secret missing or of the wrong type", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.secrets = map[string]corev1.SecretType{"opaque": corev1.SecretTypeOpaque, "good": corev1.SecretTypeDockerConfigJson}
			return w
		}, func(o *Options) { o.ImagePullSecrets = []string{"good", "opaque", "gone"} }, map[string][2]string{
			CheckPullSecrets: {"fail", "opaque has type Opaque, not kubernetes.io/dockerconfigjson; gone does not exist in system-upgrade"}}},
		{"pull secret fine", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.secrets = map[string]corev1.SecretType{"good": corev1.SecretTypeDockerConfigJson}
			return w
		}, func(o *Options) { o.ImagePullSecrets = []string{"good"} }, map[string][2]string{CheckPullSecrets: {"pass", "good in system-upgrade"}}},
		{"node name differs from hostname", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.nodes[3].Labels[cluster.LabelHostname] = "short"
			return w
		}, nil, map[string][2]string{CheckNodes: {"fail", "a-1 (hostname short)"}}},
		{"no hostname label", func(t *testing.T) *world {
			w := healthyK3s(t)
			delete(w.nodes[4].Labels, cluster.LabelHostname)
			return w
		}, nil, map[string][2]string{CheckNodes: {"fail", "lack the label kubernetes.io/hostname"}}},
		{"skew error today, fixed by the first hop", func(t *testing.T) *world {
			return newWorld(t, "server s-1 v1.30.14+k3s1", "agent old v1.26.15+k3s1")
		}, nil, map[string][2]string{CheckSkew: {"pass", "errors today that hop 1 fixes by upgrading their nodes first: SKEW102 node/old"}}},
		{"skew error today the path leaves", func(t *testing.T) *world { return newWorld(t, skewed...) }, nil,
			map[string][2]string{CheckSkew: {"fail", "now: SKEW101 node/new"}}},
		{"skew error, forced", func(t *testing.T) *world { return newWorld(t, skewed...) }, func(o *Options) { o.Force = true },
			map[string][2]string{CheckSkew: {"warn", "going on because of --force"}}},
		{"fresh snapshot", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.snapshotAPI = true
			w.snapshots = []etcdsnapshot.Snapshot{{Name: "etcd-snapshot-s-1-1", Node: "s-1", Created: testNow.Add(-3 * time.Hour)}}
			return w
		}, nil, map[string][2]string{CheckSnapshot: {"pass", "newest ready snapshot etcd-snapshot-s-1-1 on s-1 is 3h old"}}},
		{"stale snapshot", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.snapshotAPI = true
			w.snapshots = []etcdsnapshot.Snapshot{{Name: "old", Node: "s-1", Created: testNow.Add(-72 * time.Hour)}}
			return w
		}, nil, map[string][2]string{CheckSnapshot: {"warn", "is 3d0h old (limit --snapshot-max-age 24h0m0s)"}}},
		{"--snapshot", func(t *testing.T) *world { w := healthyK3s(t); w.snapshotAPI = true; return w }, func(o *Options) {
			o.TakeSnapshot, o.SnapshotName, o.SnapshotNode = true, "kubectl-skew-pre-upgrade-v1.30.14-k3s1", "s-1"
		}, map[string][2]string{CheckSnapshot: {"pass", `--snapshot takes "kubectl-skew-pre-upgrade-v1.30.14-k3s1" on s-1 before the first server upgrade; no ready snapshot`}}},
		{"no etcd", func(t *testing.T) *world {
			w := newWorld(t, "etcd s v1.30.14+k3s1")
			// A server with the control-plane label only: SQLite or an external datastore.
			delete(w.nodes[0].Labels, cluster.LabelEtcd)
			w.nodes[0].Labels[cluster.LabelControlPlane] = "true"
			return w
		}, nil, map[string][2]string{CheckSnapshot: {"skipped", "no node has the etcd role"}}},
		{"deprecated API removed on the way", func(t *testing.T) *world { w := healthyK3s(t); w.metrics = deprecatedMetrics; return w }, nil, map[string][2]string{
			CheckDeprecated: {"warn", "a client requested flowschemas.v1beta3.flowcontrol.apiserver.k8s.io since the apiserver that answered started"},
		}},
		{"deprecated API, --strict", func(t *testing.T) *world { w := healthyK3s(t); w.metrics = deprecatedMetrics; return w },
			func(o *Options) { o.Strict = true }, map[string][2]string{CheckDeprecated: {"fail", "which v1.32 removes"}}},
		{"metrics forbidden", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.metricsErr = errors.New("forbidden: ask for get on the nonResourceURL /metrics")
			return w
		}, nil, map[string][2]string{CheckDeprecated: {"skipped", "not read: the apiserver's /metrics (forbidden"}}},
		// Removed APIs are judged from the oldest kube-apiserver's minor, as plan judges
		// them: without one (etcd-only servers run none) nothing can be judged.
		{"no kube-apiserver version", func(t *testing.T) *world { return newWorld(t, "etcd e v1.30.14+k3s1") }, nil,
			map[string][2]string{CheckDeprecated: {"skipped", "the control plane's version is unknown"}}},
		{"a Helm release uses an API a hop removes", func(t *testing.T) *world {
			w := healthyK3s(t)
			w.uses = []deprecation.Use{{Source: deprecation.SourceHelm, APIVersion: "flowcontrol.apiserver.k8s.io/v1beta3", Kind: "FlowSchema", Name: "fs",
				Release: &deprecation.ReleaseRef{Namespace: "monitoring", Name: "prom", Revision: 3}}}
			return w
		}, nil, map[string][2]string{CheckDeprecated: {"warn", "Helm release monitoring/prom (revision 3) renders FlowSchema fs as flowcontrol.apiserver.k8s.io/v1beta3, which v1.32 removes"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.world(t).run(t, c.tune)
			if len(p.Checks) != len(CheckOrder) {
				t.Errorf("%d checks, want %d: %+v", len(p.Checks), len(CheckOrder), p.Checks)
			}
			for name, want := range c.want {
				got, ok := p.Get(name)
				if !ok {
					t.Errorf("no check %s", name)
					continue
				}
				if string(got.Result) != want[0] || !strings.Contains(got.Message, want[1]) {
					t.Errorf("%s = %s %q, want %s containing %q", name, got.Result, got.Message, want[0], want[1])
				}
				if (got.Result == Fail || got.Result == Warn) && got.Fix == "" && name != CheckRancher && name != CheckSkew && name != CheckFailedJobs {
					t.Errorf("%s %s without a fix", name, got.Result)
				}
			}
		})
	}
}

// TestUnreadFactsAreNeverAPass: a check whose facts are missing is skipped or
// failed, never passed.
func TestUnreadFactsAreNeverAPass(t *testing.T) {
	w := healthyK3s(t)
	o := defaultOptions()
	f := w.facts(t, o)
	f.Access = nil
	f.Deployment = nil
	f.PlansErr = apierrors.NewForbidden(schema.GroupResource{Resource: "plans"}, "", errors.New("no"))
	f.SnapshotsServed, f.SnapshotsErr = true, errors.New("timeout")
	f.APIs, f.APIsErr = nil, errors.New("timeout")
	r := Evaluate(f, o)
	for _, name := range []string{CheckPermissions, CheckController, CheckForeignPlans, CheckFailedJobs, CheckSnapshot, CheckDeprecated} {
		if c, _ := r.Get(name); c.Result == Pass {
			t.Errorf("%s passed without its facts: %s", name, c.Message)
		}
	}
}

// TestPreflightSkewOnlyExitsAsFindings: a refusal caused only by skew findings is
// told apart (exit code 3), any other failure is not.
func TestPreflightSkewOnlyExitsAsFindings(t *testing.T) {
	w := newWorld(t, "server s-1 v1.30.14+k3s1", "agent new v1.31.13+k3s1")
	if p := w.run(t, nil); !p.BlockedBySkew {
		t.Errorf("skew-only refusal not flagged: %+v", p.Failed())
	}
	w.noSUC = true
	if p := w.run(t, nil); p.BlockedBySkew {
		t.Errorf("a refusal with SUC missing flagged as skew-only")
	}
}

// apiScan is what the removed-API scan would have read from this world.
func (w *world) apiScan(t *testing.T) *deprecation.Scan {
	s := &deprecation.Scan{Uses: w.uses}
	if w.metricsErr != nil {
		s.Skipped = append(s.Skipped, deprecation.Skipped{What: "the apiserver's /metrics", Reason: w.metricsErr.Error()})
		return s
	}
	m, err := deprecation.ParseMetrics([]byte(w.metrics))
	if err != nil {
		t.Fatal(err)
	}
	s.Metrics = &m
	return s
}
