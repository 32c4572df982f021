// Package preflight decides whether an upgrade may start. It works in two steps:
// Gather reads every fact the checks need in one concurrent pass, and Evaluate, a
// pure function, turns those facts and the run's options into named checks. A check
// whose facts could not be read is skipped, never passed.
package preflight

import (
	"fmt"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Result is a preflight check's verdict.
type Result string

const (
	Pass    Result = "pass"
	Warn    Result = "warn"
	Fail    Result = "fail"
	Skipped Result = "skipped"
)

// Check names, stable: scripts may look for them in -o json.
const (
	CheckDistro         = "distro"
	CheckPlanCRD        = "suc-plan-crd"
	CheckController     = "suc-controller"
	CheckServiceAccount = "suc-service-account"
	CheckPermissions    = "permissions"
	CheckRancher        = "rancher"
	CheckForeignPlans   = "other-plans"
	CheckFailedJobs     = "failed-jobs"
	CheckNodes          = "nodes"
	CheckPlatforms      = "platforms"
	CheckNixOS          = "nixos"
	CheckDrain          = "drain"
	CheckPullSecrets    = "image-pull-secrets"
	CheckSkew           = "skew"
	CheckSnapshot       = "etcd-snapshot"
	CheckDeprecated     = "deprecated-apis"
	CheckHazards        = "hazards"
)

// CheckOrder is the order of the report.
var CheckOrder = []string{CheckDistro, CheckPlanCRD, CheckController, CheckServiceAccount, CheckPermissions, CheckRancher,
	CheckForeignPlans, CheckFailedJobs, CheckNodes, CheckPlatforms, CheckNixOS, CheckDrain, CheckPullSecrets, CheckSkew, CheckSnapshot, CheckDeprecated,
	CheckHazards}

// Check is one named preflight check.
type Check struct {
	Name    string `json:"name"`
	Result  Result `json:"result"`
	Message string `json:"message"`
	// Fix says what to do about a warn or fail.
	Fix string `json:"fix,omitempty"`
}

// Report is every check, in a fixed order.
type Report struct {
	Checks []Check `json:"checks"`
	// BlockedBySkew is true when the only failure is the skew check (exit code 3).
	BlockedBySkew bool `json:"-"`
}

// Failed returns the failed checks.
func (r *Report) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Result == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Get returns the named check.
func (r *Report) Get(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Options are the run's choices that the checks judge by.
type Options struct {
	// Driver is the upgrade's driver when it is not the system-upgrade-controller
	// ("command", "manual"): the checks of the controller, its Plans' permissions,
	// failed Jobs, image platforms and pull secrets do not concern it and are skipped.
	Driver                                string
	Namespace, Deployment, ServiceAccount string

	AllowRancher bool
	// Force turns skew failures into warnings.
	Force bool
	// Strict turns deprecated-API and hop-hazard warnings into failures.
	Strict bool
	// AcceptHazards are hop hazard IDs the operator acknowledged (--accept-hazard).
	AcceptHazards []string
	// NoHazards turns the hop hazards off (--hazards=false).
	NoHazards bool
	// RetryFailed lets failed Jobs of our Plans be deleted and run again.
	RetryFailed bool
	// NeedDelete is set when the run deletes our superseded Plans.
	NeedDelete bool
	// CustomImage is set when the upgrade image is a mirror the user named.
	CustomImage bool
	// Drain and AgentConcurrency are how agents are drained, and how many at once.
	Drain            suc.Drain
	AgentConcurrency int64
	// ImagePullSecrets must exist in Namespace, of type kubernetes.io/dockerconfigjson.
	ImagePullSecrets []string

	TakeSnapshot   bool
	SnapshotName   string
	SnapshotNode   string
	SnapshotMaxAge time.Duration
	Now            time.Time
}

// SUCInstallHint is how to install the controller the Plans need.
const SUCInstallHint = "install the system-upgrade-controller: kubectl apply -f https://github.com/rancher/system-upgrade-controller/releases/download/v0.20.1/crd.yaml -f https://github.com/rancher/system-upgrade-controller/releases/download/v0.20.1/system-upgrade-controller.yaml"

// verdicts collects the checks by name; the report puts them in CheckOrder.
type verdicts map[string]Check

func (v verdicts) add(name string, r Result, msg, fix string) {
	v[name] = Check{Name: name, Result: r, Message: msg, Fix: fix}
}

// Evaluate judges the facts. It reads nothing: every API answer, error included,
// is in f.
func Evaluate(f *Facts, o Options) *Report {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	v := verdicts{}
	inv := f.Inventory
	if inv == nil || !inv.Distro.IsRancherDistro() {
		v.add(CheckDistro, Fail, "the kubelets report "+sampleKubelet(inv)+": not a K3s or RKE2 release",
			"the system-upgrade-controller upgrades K3s and RKE2 only; upgrade this cluster with its own tooling (kubectl skew check works on any cluster)")
		for _, name := range CheckOrder[1:] {
			v.add(name, Skipped, "not a K3s or RKE2 cluster", "")
		}
		return v.report()
	}
	v.add(CheckDistro, Pass, distroLine(inv), "")
	checkController(v, f, o)
	checkPermissions(v, f, o)
	checkRancher(v, f, o)
	checkPlans(v, f, o)
	checkNodes(v, f, o)
	checkPlatforms(v, f, o)
	checkNixOS(v, f)
	checkDrain(v, f, o)
	checkPullSecrets(v, f, o)
	checkSkew(v, f, o)
	checkSnapshot(v, f, o)
	checkDeprecated(v, f, o)
	checkHazards(v, f, o)
	if o.Driver != "" {
		for _, name := range []string{CheckPlanCRD, CheckController, CheckServiceAccount, CheckPermissions, CheckFailedJobs, CheckPlatforms, CheckPullSecrets, CheckNixOS} {
			v.add(name, Skipped, "not used by --driver "+o.Driver, "")
		}
	}
	return v.report()
}

func (v verdicts) report() *Report {
	r := &Report{}
	for _, name := range CheckOrder {
		if c, ok := v[name]; ok {
			r.Checks = append(r.Checks, c)
		}
	}
	failed := r.Failed()
	r.BlockedBySkew = len(failed) == 1 && failed[0].Name == CheckSkew
	return r
}

// sampleKubelet names a kubelet version for the distro check; a cluster without nodes
// has "no version" here, as this check has always said.
func sampleKubelet(inv *cluster.Inventory) string {
	if inv == nil || len(inv.Nodes) == 0 {
		return "no version"
	}
	return inv.KubeletSample()
}

func distroLine(inv *cluster.Inventory) string {
	var lo, hi *version.Version
	for _, n := range inv.Servers() {
		if n.Kubelet == nil {
			continue
		}
		if lo == nil || n.Kubelet.Compare(*lo) < 0 {
			lo = n.Kubelet
		}
		if hi == nil || n.Kubelet.Compare(*hi) > 0 {
			hi = n.Kubelet
		}
	}
	switch {
	case lo == nil:
		return inv.Distro.Name() + ", servers on unknown versions"
	case lo.Equal(*hi):
		return fmt.Sprintf("%s, servers on %s", inv.Distro.Name(), lo)
	}
	return fmt.Sprintf("%s, servers on %s to %s", inv.Distro.Name(), lo, hi)
}
