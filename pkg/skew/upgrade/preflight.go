package upgrade

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	appsv1 "k8s.io/api/apps/v1"
	authv1 "k8s.io/api/authorization/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
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
	CheckSkew           = "skew"
	CheckSnapshot       = "etcd-snapshot"
	CheckDeprecated     = "deprecated-apis"
)

// Check is one named preflight check.
type Check struct {
	Name    string `json:"name"`
	Result  Result `json:"result"`
	Message string `json:"message"`
	// Fix says what to do about a warn or fail.
	Fix string `json:"fix,omitempty"`
}

// Preflight is every check, in a fixed order.
type Preflight struct {
	Checks []Check `json:"checks"`
	// BlockedBySkew is true when the only failures are skew findings (exit code 3).
	BlockedBySkew bool `json:"-"`
}

// Failed returns the failed checks.
func (p *Preflight) Failed() []Check {
	var out []Check
	for _, c := range p.Checks {
		if c.Result == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Get returns the named check.
func (p *Preflight) Get(name string) (Check, bool) {
	for _, c := range p.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// SUCInstallHint is how to install the controller the Plans need.
const SUCInstallHint = "install the system-upgrade-controller: kubectl apply -f https://github.com/rancher/system-upgrade-controller/releases/download/v0.20.1/crd.yaml -f https://github.com/rancher/system-upgrade-controller/releases/download/v0.20.1/system-upgrade-controller.yaml"

// PreflightInput is what the checks read. Everything is read-only.
type PreflightInput struct {
	Kube      kubernetes.Interface
	Dynamic   dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// Metrics fetches the apiserver's /metrics; nil when it cannot be asked.
	Metrics func(context.Context) ([]byte, error)

	Namespace, Deployment, ServiceAccount string

	// Nodes are the raw nodes (labels), Inventory the same cluster read for skew.
	Nodes     []corev1.Node
	Inventory *cluster.Inventory
	// Path is nil when the distro is not supported or planning failed.
	Path *Path

	AllowRancher bool
	// Force turns skew failures into warnings.
	Force bool
	// Strict turns deprecated-API warnings into failures.
	Strict bool
	// RetryFailed lets failed Jobs of our Plans be deleted and run again.
	RetryFailed bool
	// NeedDelete is set when the run deletes our superseded Plans.
	NeedDelete bool

	TakeSnapshot   bool
	SnapshotName   string
	SnapshotNode   string
	SnapshotMaxAge time.Duration
	Now            time.Time
}

// RunPreflight runs every check. It never writes; an API error becomes the
// check's result (fail, or skipped where the check is advisory), never a panic.
func RunPreflight(ctx context.Context, in PreflightInput) *Preflight {
	p := &Preflight{}
	add := func(name string, r Result, msg, fix string) {
		p.Checks = append(p.Checks, Check{Name: name, Result: r, Message: msg, Fix: fix})
	}
	if in.Now.IsZero() {
		in.Now = time.Now()
	}
	if in.Inventory == nil || (in.Inventory.Distro != version.K3s && in.Inventory.Distro != version.RKE2) {
		sample := "no version"
		if in.Inventory != nil {
			for _, n := range in.Inventory.Nodes {
				if n.KubeletVersion != "" {
					sample = n.KubeletVersion
					break
				}
			}
		}
		add(CheckDistro, Fail, fmt.Sprintf("the kubelets report %s: not a K3s or RKE2 release", sample),
			"the system-upgrade-controller upgrades K3s and RKE2 only; upgrade this cluster with its own tooling (kubectl skew check works on any cluster)")
		for _, name := range []string{CheckPlanCRD, CheckController, CheckServiceAccount, CheckPermissions, CheckRancher,
			CheckForeignPlans, CheckFailedJobs, CheckNodes, CheckSkew, CheckSnapshot, CheckDeprecated} {
			add(name, Skipped, "not a K3s or RKE2 cluster", "")
		}
		return p
	}
	add(CheckDistro, Pass, distroLine(in), "")

	crdServed := checkSUC(ctx, in, add)
	checkPermissions(ctx, in, add)
	checkRancher(ctx, in, add)
	checkPlans(ctx, in, crdServed, add)
	checkNodes(in, add)
	skewFailed := checkSkew(in, add)
	checkSnapshot(ctx, in, add)
	checkDeprecated(ctx, in, add)

	failed := p.Failed()
	p.BlockedBySkew = len(failed) > 0 && skewFailed && len(failed) == 1
	return p
}

func distroLine(in PreflightInput) string {
	lo, hi := serverRangeText(in.Inventory)
	servers := "servers on " + lo
	if hi != lo {
		servers = fmt.Sprintf("servers on %s to %s", lo, hi)
	}
	return fmt.Sprintf("%s, %s", in.Inventory.Distro.Name(), servers)
}

func serverRangeText(inv *cluster.Inventory) (string, string) {
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
	if lo == nil {
		return "unknown versions", "unknown versions"
	}
	return lo.String(), hi.String()
}

type addFunc func(name string, r Result, msg, fix string)

// checkSUC: the Plan CRD is served, the controller is available, its service
// account exists. It returns whether Plans can be read at all.
func checkSUC(ctx context.Context, in PreflightInput, add addFunc) bool {
	ok, err := served(in.Discovery, PlanResource)
	switch {
	case err != nil:
		add(CheckPlanCRD, Fail, "discovery of upgrade.cattle.io/v1 failed: "+err.Error(), "check that the apiserver is healthy, then retry")
	case !ok:
		add(CheckPlanCRD, Fail, "the API upgrade.cattle.io/v1 plans is not served: the system-upgrade-controller is not installed", SUCInstallHint)
	default:
		add(CheckPlanCRD, Pass, "upgrade.cattle.io/v1 plans is served", "")
	}

	dep, derr := in.Kube.AppsV1().Deployments(in.Namespace).Get(ctx, in.Deployment, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(derr):
		add(CheckController, Fail, fmt.Sprintf("deployment %s/%s not found", in.Namespace, in.Deployment),
			SUCInstallHint+" (or point --suc-namespace at the namespace it runs in)")
	case apierrors.IsForbidden(derr):
		add(CheckController, Skipped, fmt.Sprintf("cannot read deployment %s/%s (forbidden), so its availability is unknown", in.Namespace, in.Deployment),
			"ask for get on deployments in "+in.Namespace)
	case derr != nil:
		add(CheckController, Fail, fmt.Sprintf("read deployment %s/%s: %v", in.Namespace, in.Deployment, derr), "retry once the apiserver answers")
	case !available(dep):
		add(CheckController, Fail, fmt.Sprintf("deployment %s/%s has no available replica (%d/%d ready): Plans would never run", in.Namespace, in.Deployment, dep.Status.AvailableReplicas, replicas(dep)),
			fmt.Sprintf("kubectl -n %s describe deployment %s, and fix what keeps its pod from running", in.Namespace, in.Deployment))
	default:
		add(CheckController, Pass, fmt.Sprintf("deployment %s/%s available (%s)", in.Namespace, in.Deployment, imageOf(dep)), "")
	}

	_, serr := in.Kube.CoreV1().ServiceAccounts(in.Namespace).Get(ctx, in.ServiceAccount, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(serr):
		add(CheckServiceAccount, Fail, fmt.Sprintf("service account %s/%s not found: the upgrade Jobs run as it", in.Namespace, in.ServiceAccount),
			SUCInstallHint+" (or name the right one with --service-account)")
	case apierrors.IsForbidden(serr):
		add(CheckServiceAccount, Skipped, fmt.Sprintf("cannot read service account %s/%s (forbidden)", in.Namespace, in.ServiceAccount), "")
	case serr != nil:
		add(CheckServiceAccount, Fail, fmt.Sprintf("read service account %s/%s: %v", in.Namespace, in.ServiceAccount, serr), "retry once the apiserver answers")
	default:
		add(CheckServiceAccount, Pass, fmt.Sprintf("service account %s/%s exists", in.Namespace, in.ServiceAccount), "")
	}
	return ok
}

func available(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable {
			return c.Status == corev1.ConditionTrue && d.Status.AvailableReplicas > 0
		}
	}
	return d.Status.AvailableReplicas > 0
}

func replicas(d *appsv1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}

func imageOf(d *appsv1.Deployment) string {
	if c := d.Spec.Template.Spec.Containers; len(c) > 0 {
		return c[0].Image
	}
	return "no container"
}

// permission is one thing the upgrade needs to be allowed.
type permission struct {
	verb, group, resource, namespace string
}

func (p permission) String() string {
	r := p.resource
	if p.group != "" {
		r += "." + p.group
	}
	where := "cluster-wide"
	if p.namespace != "" {
		where = "in namespace " + p.namespace
	}
	return fmt.Sprintf("%s %s %s", p.verb, r, where)
}

func checkPermissions(ctx context.Context, in PreflightInput, add addFunc) {
	need := []permission{
		{"get", "upgrade.cattle.io", "plans", in.Namespace},
		{"list", "upgrade.cattle.io", "plans", in.Namespace},
		{"watch", "upgrade.cattle.io", "plans", in.Namespace},
		{"create", "upgrade.cattle.io", "plans", in.Namespace},
		{"patch", "upgrade.cattle.io", "plans", in.Namespace},
		{"get", "", "nodes", ""},
		{"list", "", "nodes", ""},
		{"watch", "", "nodes", ""},
		{"list", "batch", "jobs", in.Namespace},
		{"watch", "batch", "jobs", in.Namespace},
	}
	if in.NeedDelete {
		need = append(need, permission{"delete", "upgrade.cattle.io", "plans", in.Namespace})
	}
	if in.RetryFailed {
		need = append(need, permission{"delete", "batch", "jobs", in.Namespace})
	}
	var missing []string
	for _, p := range need {
		allowed, err := can(ctx, in.Kube, p)
		if err != nil {
			add(CheckPermissions, Fail, "SelfSubjectAccessReview failed: "+err.Error(), "retry once the apiserver answers")
			return
		}
		if !allowed {
			missing = append(missing, p.String())
		}
	}
	if len(missing) > 0 {
		add(CheckPermissions, Fail, "missing: "+strings.Join(missing, "; "),
			"ask a cluster admin for these permissions (kubectl auth can-i <verb> <resource> -n "+in.Namespace+" checks one)")
		return
	}
	add(CheckPermissions, Pass, fmt.Sprintf("may create, patch and watch plans in %s, read nodes and jobs", in.Namespace), "")
}

func can(ctx context.Context, kube kubernetes.Interface, p permission) (bool, error) {
	r := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authv1.ResourceAttributes{Verb: p.verb, Group: p.group, Resource: p.resource, Namespace: p.namespace},
	}}
	got, err := kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, r, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return got.Status.Allowed, nil
}

// Rancher's marks (design.md §4).
const (
	labelRancherMachine = "rke.cattle.io/machine"
	labelRancherUpgrade = "upgrade.cattle.io/kubernetes-upgrade"
	rancherNamespace    = "cattle-system"
	rancherAgent        = "cattle-cluster-agent"
)

func checkRancher(ctx context.Context, in PreflightInput, add addFunc) {
	var why []string
	if n := firstWithLabel(in.Nodes, labelRancherMachine); n != "" {
		why = append(why, fmt.Sprintf("node %s has label %s (provisioned by Rancher)", n, labelRancherMachine))
	}
	if n := firstWithLabel(in.Nodes, labelRancherUpgrade); n != "" {
		why = append(why, fmt.Sprintf("node %s has label %s (Rancher upgrades it)", n, labelRancherUpgrade))
	}
	if _, err := in.Kube.AppsV1().Deployments(rancherNamespace).Get(ctx, rancherAgent, metav1.GetOptions{}); err == nil {
		why = append(why, fmt.Sprintf("deployment %s/%s runs", rancherNamespace, rancherAgent))
	}
	if in.Namespace != rancherNamespace {
		rp := &Plans{Dynamic: in.Dynamic, Namespace: rancherNamespace}
		if plans, err := rp.List(ctx); err == nil && len(plans) > 0 {
			names := make([]string, 0, len(plans))
			for _, p := range plans {
				names = append(names, p.Name)
			}
			why = append(why, fmt.Sprintf("Plans in %s: %s", rancherNamespace, strings.Join(names, ", ")))
		}
	}
	if len(why) == 0 {
		add(CheckRancher, Pass, "no sign of Rancher managing this cluster", "")
		return
	}
	msg := "Rancher manages this cluster: " + strings.Join(why, "; ")
	if in.AllowRancher {
		add(CheckRancher, Warn, msg+"; going on because of --allow-rancher", "make sure Rancher will not upgrade the cluster at the same time")
		return
	}
	add(CheckRancher, Fail, msg+"; our Plans would fight Rancher's",
		"upgrade through Rancher (Cluster Management > Edit Config > Kubernetes Version); --allow-rancher overrides when Rancher does not manage this cluster's version")
}

func firstWithLabel(nodes []corev1.Node, key string) string {
	for i := range nodes {
		if _, ok := nodes[i].Labels[key]; ok {
			return nodes[i].Name
		}
	}
	return ""
}

// checkPlans refuses other Plans that select nodes we upgrade, and failed Jobs of
// our own Plans from an earlier run.
func checkPlans(ctx context.Context, in PreflightInput, crdServed bool, add addFunc) {
	if !crdServed {
		add(CheckForeignPlans, Skipped, "the Plan API is not served", "")
		add(CheckFailedJobs, Skipped, "the Plan API is not served", "")
		return
	}
	all, err := (&Plans{Dynamic: in.Dynamic, Namespace: in.Namespace}).List(ctx)
	if apierrors.IsForbidden(err) {
		// The permissions check names what is missing; this one cannot be made.
		add(CheckForeignPlans, Skipped, fmt.Sprintf("cannot list plans in %s (forbidden)", in.Namespace), "")
		add(CheckFailedJobs, Skipped, "plans could not be listed", "")
		return
	}
	if err != nil {
		add(CheckForeignPlans, Fail, fmt.Sprintf("list plans in %s: %v", in.Namespace, err), "ask for list on plans.upgrade.cattle.io in "+in.Namespace)
		add(CheckFailedJobs, Skipped, "plans could not be listed", "")
		return
	}
	targets := pathNodes(in.Path)
	var ours []string
	var conflicts []string
	for i := range all {
		p := &all[i]
		if IsOurs(p.Labels) {
			ours = append(ours, p.Name)
			continue
		}
		if hit := selectedNodes(p, in.Nodes, targets); len(hit) > 0 {
			conflicts = append(conflicts, fmt.Sprintf("%s (selects %s)", p.Name, sample(hit, 3)))
		}
	}
	resume := ""
	if len(ours) > 0 {
		resume = fmt.Sprintf("; %s of ours from an earlier run (%s) will be resumed", plural(len(ours), "Plan"), strings.Join(ours, ", "))
	}
	if len(conflicts) > 0 {
		add(CheckForeignPlans, Fail, fmt.Sprintf("other Plans in %s would upgrade the same nodes: %s%s", in.Namespace, strings.Join(conflicts, "; "), resume),
			"delete them, or opt the nodes out with the node label plan.upgrade.cattle.io/<plan>=disabled")
	} else {
		add(CheckForeignPlans, Pass, fmt.Sprintf("no other Plan in %s selects the nodes to upgrade%s", in.Namespace, resume), "")
	}
	checkFailedJobs(ctx, in, ours, add)
}

// pathNodes is every node name the path upgrades; nil means all nodes.
func pathNodes(p *Path) map[string]bool {
	if p == nil {
		return nil
	}
	out := map[string]bool{}
	for _, h := range p.Hops {
		for _, s := range h.Servers {
			out[s.Name] = true
		}
		for _, s := range h.Agents {
			out[s.Name] = true
		}
	}
	return out
}

// selectedNodes mirrors SUC's node selection (pkg/upgrade/plan): a missing selector
// selects nothing, nodes need the hostname label, and a node labelled
// plan.upgrade.cattle.io/<plan>=disabled is opted out.
func selectedNodes(p *upgradev1.Plan, nodes []corev1.Node, only map[string]bool) []string {
	if p.Spec.NodeSelector == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.NodeSelector)
	if err != nil {
		return nil
	}
	var out []string
	for i := range nodes {
		n := &nodes[i]
		if only != nil && !only[n.Name] {
			continue
		}
		if _, ok := n.Labels[cluster.LabelHostname]; !ok {
			continue
		}
		if n.Labels[SUCNodePlanLabelPrefix+p.Name] == "disabled" {
			continue
		}
		if sel.Matches(labels.Set(n.Labels)) {
			out = append(out, n.Name)
		}
	}
	return out
}

func checkFailedJobs(ctx context.Context, in PreflightInput, ours []string, add addFunc) {
	if len(ours) == 0 {
		add(CheckFailedJobs, Pass, "no Plan of ours from an earlier run", "")
		return
	}
	jobs, err := in.Kube.BatchV1().Jobs(in.Namespace).List(ctx, metav1.ListOptions{LabelSelector: OwnedSelector})
	if err != nil {
		add(CheckFailedJobs, Fail, fmt.Sprintf("list jobs in %s: %v", in.Namespace, err), "ask for list on jobs.batch in "+in.Namespace)
		return
	}
	failed := FailedJobs(jobs.Items)
	if len(failed) == 0 {
		add(CheckFailedJobs, Pass, "no failed upgrade Job", "")
		return
	}
	var lines []string
	for _, f := range failed {
		lines = append(lines, fmt.Sprintf("Job %s on node %s: %s", f.Job, f.Node, f.Message))
	}
	msg := strings.Join(lines, "; ")
	if in.RetryFailed {
		add(CheckFailedJobs, Warn, msg+"; --retry-failed deletes them so that the controller runs them again", "")
		return
	}
	add(CheckFailedJobs, Fail, msg,
		"fix the cause on the node, then run the same command with --retry-failed (it deletes the failed Job so the controller runs it again)")
}

// JobFailure is a failed upgrade Job.
type JobFailure struct {
	Job, Node, Plan, Message string
}

// FailedJobs picks the failed Jobs, one per node and Plan, newest first.
func FailedJobs(jobs []batchv1.Job) []JobFailure {
	var out []JobFailure
	seen := map[string]bool{}
	sort.SliceStable(jobs, func(i, j int) bool { return jobs[i].CreationTimestamp.After(jobs[j].CreationTimestamp.Time) })
	for i := range jobs {
		j := &jobs[i]
		msg, failed := jobFailed(j)
		if !failed {
			continue
		}
		key := j.Labels[sucLabelPlan] + "/" + j.Labels[sucLabelNode]
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, JobFailure{Job: j.Name, Node: j.Labels[sucLabelNode], Plan: j.Labels[sucLabelPlan], Message: msg})
	}
	return out
}

func jobFailed(j *batchv1.Job) (string, bool) {
	if j == nil {
		return "", false
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			msg := strings.TrimSpace(c.Reason + ": " + c.Message)
			return strings.Trim(msg, ": "), true
		}
	}
	return "", false
}

func jobComplete(j *batchv1.Job) bool {
	if j == nil {
		return false
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func checkNodes(in PreflightInput, add addFunc) {
	targets := pathNodes(in.Path)
	var noHostname, renamed, notReady, cordoned []string
	for i := range in.Nodes {
		n := &in.Nodes[i]
		if targets != nil && !targets[n.Name] {
			continue
		}
		if h, ok := n.Labels[cluster.LabelHostname]; !ok {
			noHostname = append(noHostname, n.Name)
		} else if h != n.Name {
			renamed = append(renamed, fmt.Sprintf("%s (hostname %s)", n.Name, h))
		}
		if !nodeReady(n) {
			notReady = append(notReady, n.Name)
		}
		if n.Spec.Unschedulable {
			cordoned = append(cordoned, n.Name)
		}
	}
	if len(noHostname) > 0 {
		add(CheckNodes, Fail, fmt.Sprintf("%s lack the label %s, which the system-upgrade-controller selects nodes by: %s",
			plural(len(noHostname), "node"), cluster.LabelHostname, sample(noHostname, 5)), "label them with their hostname (kubectl label node <node> kubernetes.io/hostname=<hostname>)")
		return
	}
	if len(renamed) > 0 {
		// SUC (v0.20.1 and before) lists hostnames in status.applying but looks a Job's
		// node name up there: a Job of a node named otherwise is deleted as "out of
		// turn" as soon as it is created, and the Plan never moves.
		add(CheckNodes, Fail, fmt.Sprintf("%s a name that differs from the kubernetes.io/hostname label: %s; the system-upgrade-controller deletes their upgrade Jobs as soon as it creates them (it looks the node name up among the hostnames in status.applying), so the upgrade would hang",
			pluralVerb(len(renamed), "node has", "nodes have"), sample(renamed, 3)),
			"upgrade these nodes by hand (the K3s/RKE2 install script with INSTALL_K3S_VERSION or INSTALL_RKE2_VERSION), one minor at a time, servers first")
		return
	}
	var warns []string
	if len(notReady) > 0 {
		warns = append(warns, fmt.Sprintf("NotReady: %s (an upgrade Job cannot run there; the Plan would hang)", sample(notReady, 5)))
	}
	if len(cordoned) > 0 {
		warns = append(warns, fmt.Sprintf("cordoned: %s (the controller uncordons a node when its upgrade succeeds)", sample(cordoned, 5)))
	}
	if len(warns) > 0 {
		add(CheckNodes, Warn, strings.Join(warns, "; "), "bring NotReady nodes back or remove them; uncordon nodes that are cordoned by mistake")
		return
	}
	add(CheckNodes, Pass, "every node to upgrade is Ready and schedulable", "")
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// checkSkew fails on skew errors now or at a hop's target, unless forced. An error
// of today about a node that the path's first hop upgrades (an agent brought back
// into skew by an agents-only hop) is what the upgrade fixes, not a reason to refuse.
func checkSkew(in PreflightInput, add addFunc) bool {
	now := atLeast(policy.Evaluate(in.Inventory, policy.Options{}), policy.Error)
	first := map[string]bool{}
	if in.Path != nil && len(in.Path.Hops) > 0 {
		for _, n := range append(append([]NodeStep{}, in.Path.Hops[0].Servers...), in.Path.Hops[0].Agents...) {
			first[n.Name] = true
		}
	}
	var fixed, stuck []policy.Finding
	for _, f := range now {
		if _, node, ok := strings.Cut(f.Subject, "/"); ok && first[node] {
			fixed = append(fixed, f)
		} else {
			stuck = append(stuck, f)
		}
	}
	var parts []string
	if len(stuck) > 0 {
		parts = append(parts, "now: "+findingList(stuck))
	}
	if in.Path != nil {
		for _, h := range in.Path.Hops {
			if len(h.Blocking) > 0 {
				parts = append(parts, fmt.Sprintf("at hop %d (%s): %s", h.Number, h.To, findingList(h.Blocking)))
			}
		}
	}
	if len(parts) == 0 {
		msg := "no skew error now or at any hop's target"
		if len(fixed) > 0 {
			msg = fmt.Sprintf("errors today that hop 1 fixes by upgrading their nodes first: %s; none at any hop's target", findingList(fixed))
		}
		add(CheckSkew, Pass, msg, "")
		return false
	}
	msg := "skew errors " + strings.Join(parts, "; ")
	if in.Force {
		add(CheckSkew, Warn, msg+"; going on because of --force", "")
		return false
	}
	add(CheckSkew, Fail, msg, "fix them first (kubectl skew check and kubectl skew plan say how), or pass --force if you accept the risk")
	return true
}

func findingList(fs []policy.Finding) string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		s := f.ID + " " + f.Subject
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return sample(out, 4)
}

func checkSnapshot(ctx context.Context, in PreflightInput, add addFunc) {
	if firstWithLabelValue(in.Nodes, cluster.LabelEtcd, "true") == "" {
		add(CheckSnapshot, Skipped, "no node has the etcd role: the datastore is SQLite or external, back it up by its own means", "")
		return
	}
	taking := ""
	if in.TakeSnapshot {
		taking = fmt.Sprintf("--snapshot takes %q on %s before the first server upgrade", in.SnapshotName, in.SnapshotNode)
	}
	ok, err := SnapshotsServed(in.Discovery)
	if err != nil || !ok {
		if taking != "" {
			add(CheckSnapshot, Pass, taking+" (this cluster records no ETCDSnapshotFile, so its file is not listed)", "")
			return
		}
		add(CheckSnapshot, Warn, "the cluster does not serve k3s.cattle.io/v1 ETCDSnapshotFile, so no snapshot can be seen",
			"take one with --snapshot, or on a server: k3s etcd-snapshot save (rke2 etcd-snapshot save)")
		return
	}
	snaps, err := ListSnapshots(ctx, in.Dynamic)
	if err != nil {
		if taking != "" {
			add(CheckSnapshot, Pass, taking, "")
			return
		}
		add(CheckSnapshot, Skipped, "cannot list etcdsnapshotfiles: "+reason(err), "ask for list on etcdsnapshotfiles.k3s.cattle.io, or take one with --snapshot")
		return
	}
	maxAge := in.SnapshotMaxAge
	if maxAge <= 0 {
		maxAge = DefaultSnapshotMaxAge
	}
	f := NewestSnapshot(snaps, in.Now, maxAge)
	newest := "no ready snapshot"
	if f.Newest != nil {
		newest = fmt.Sprintf("newest ready snapshot %s on %s is %s old", f.Newest.Name, f.Newest.Node, Age(in.Now.Sub(f.Newest.Created)))
	}
	switch {
	case taking != "":
		add(CheckSnapshot, Pass, taking+"; "+newest, "")
	case f.Fresh:
		add(CheckSnapshot, Pass, newest, "")
	default:
		add(CheckSnapshot, Warn, fmt.Sprintf("%s (limit --snapshot-max-age %s): a failed hop could not be rolled back to now", newest, maxAge),
			"add --snapshot to take one on the first server before it upgrades, or on a server: k3s etcd-snapshot save (rke2 etcd-snapshot save)")
	}
}

func firstWithLabelValue(nodes []corev1.Node, key, value string) string {
	for i := range nodes {
		if nodes[i].Labels[key] == value {
			return nodes[i].Name
		}
	}
	return ""
}

func checkDeprecated(ctx context.Context, in PreflightInput, add addFunc) {
	if in.Path == nil || len(in.Path.Hops) == 0 {
		add(CheckDeprecated, Skipped, "no hop to check", "")
		return
	}
	if in.Metrics == nil {
		add(CheckDeprecated, Skipped, "the apiserver's /metrics cannot be read with this client", "")
		return
	}
	raw, err := in.Metrics(ctx)
	if err != nil {
		add(CheckDeprecated, Skipped, "cannot read /metrics: "+reason(err)+"; whether a removed API is still in use is unknown",
			"ask for get on the nonResourceURL /metrics to have this checked")
		return
	}
	m, err := ParseMetrics(raw)
	if err != nil {
		add(CheckDeprecated, Skipped, err.Error(), "")
		return
	}
	from := in.Path.LowestServer.MinorVersion()
	to := in.Path.Target.MinorVersion()
	since := "since the apiserver that answered started"
	if !m.Started.IsZero() {
		since = fmt.Sprintf("in the %s since the apiserver that answered started", Age(in.Now.Sub(m.Started)))
	}
	removed := m.RemovedBetween(from, to)
	if len(removed) == 0 {
		add(CheckDeprecated, Pass, fmt.Sprintf("no API that %s to %s removes was requested %s", from.Add(1), to, since), "")
		return
	}
	var list []string
	for _, d := range removed {
		list = append(list, fmt.Sprintf("%s (removed in v%s)", d.GVR(), d.RemovedRelease))
	}
	msg := fmt.Sprintf("requested %s and removed on the way to %s: %s", since, to, strings.Join(list, ", "))
	fix := "move the clients of these APIs to their replacements before the hop that removes them (kubectl get --raw /metrics | grep apiserver_requested_deprecated_apis)"
	if in.Strict {
		add(CheckDeprecated, Fail, msg, fix)
		return
	}
	add(CheckDeprecated, Warn, msg, fix+"; --strict makes this a failure")
}

func reason(err error) string {
	if apierrors.IsForbidden(err) {
		return "forbidden"
	}
	return err.Error()
}

func isNotFound(err error) bool { return apierrors.IsNotFound(err) }

func sample(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

func pluralVerb(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
