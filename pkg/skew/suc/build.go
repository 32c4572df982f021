// Package suc builds, applies and reads the system-upgrade-controller's Plans and
// Jobs: the Plans of one hop, the labels that mark them as ours, the record of the
// upgrade they carry, and what their Jobs say. It never touches a Plan without our
// label.
package suc

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// What marks a Plan as ours. SUC copies Plan labels and annotations whose keys do not
// contain "cattle.io/" onto the Jobs it creates, so Jobs carry them too.
const (
	// FieldManager is the server-side apply field manager of every write we make.
	FieldManager = "kubectl-skew"
	// LabelManagedBy=ManagedBy marks our Plans; nothing without it is ever changed.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "kubectl-skew"
	// OwnedSelector selects our Plans: kubectl delete plans -n system-upgrade -l <this>.
	OwnedSelector = LabelManagedBy + "=" + ManagedBy
	// LabelRole is server, agent or snapshot.
	LabelRole = "kubectl-skew.io/role"
	// LabelVersion is the hop's version as a label value ("+" -> "-").
	LabelVersion = "kubectl-skew.io/version"

	// AnnotationPath lists every hop version of the upgrade, comma-separated, so that
	// status can say "hop 2 of 3" after a resume re-planned the rest.
	AnnotationPath = "kubectl-skew.io/path"
	// AnnotationFrom is the lowest version the hop's nodes ran before it.
	AnnotationFrom = "kubectl-skew.io/from"
	// AnnotationTarget is the upgrade's final version.
	AnnotationTarget = "kubectl-skew.io/target"
	// AnnotationSnapshot names the etcd snapshot taken before the upgrade (--snapshot).
	AnnotationSnapshot = "kubectl-skew.io/snapshot"
	// AnnotationSnapshotNode is the node the snapshot was taken on.
	AnnotationSnapshotNode = "kubectl-skew.io/snapshot-node"
	// AnnotationCanary is the number of canary agents of an agent Plan.
	AnnotationCanary = "kubectl-skew.io/canary"
	// AnnotationHop places an exported Plan in the upgrade ("1 of 3").
	AnnotationHop = "kubectl-skew.io/hop"
	// AnnotationCordoned lists the Plan's nodes that were cordoned before it ran, so
	// that they are cordoned again after their upgrade.
	AnnotationCordoned = "kubectl-skew.io/cordoned-before"
	// AnnotationAcceptedHazards lists the hop hazard IDs the operator acknowledged
	// (--accept-hazard) for the run that wrote the Plan, comma-separated.
	AnnotationAcceptedHazards = "kubectl-skew.io/accepted-hazards"
	// LabelOS is the well-known label of a node's operating system.
	LabelOS = "kubernetes.io/os"
)

// Roles of our Plans.
const (
	RoleServer   = "server"
	RoleAgent    = "agent"
	RoleSnapshot = "snapshot"
)

// The controller's labels: on its Jobs, and the per-plan node label.
const (
	LabelJobPlan    = "upgrade.cattle.io/plan"
	LabelJobNode    = "upgrade.cattle.io/node"
	LabelJobVersion = "upgrade.cattle.io/version"
	// NodePlanLabelPrefix + plan name is the node label SUC sets to the plan's
	// latestHash when the node is done, or to "disabled" to opt the node out.
	NodePlanLabelPrefix = "plan.upgrade.cattle.io/"
)

// Defaults of a stock SUC install (docs/domain.md).
const (
	DefaultNamespace      = "system-upgrade"
	DefaultServiceAccount = "system-upgrade"
	DefaultDeployment     = "system-upgrade-controller"
	// DefaultDrainTimeout leaves room inside SUC's default Job deadline (600s).
	DefaultDrainTimeout = 5 * time.Minute
)

// PlanConfig is how Plans are built; the zero value is not valid, use DefaultPlanConfig.
type PlanConfig struct {
	Namespace         string
	ServiceAccount    string
	ServerConcurrency int64
	AgentConcurrency  int64
	// Drain is how agents crossing a minor are drained: SUC's drain spec, one field
	// for each of kubectl drain's options.
	Drain Drain
	// ImagePullSecrets name Secrets in the controller's namespace that every Job
	// pulls its images with (a private registry mirror).
	ImagePullSecrets []string
	// ImageRepository replaces rancher/k3s-upgrade or rancher/rke2-upgrade (a mirror).
	ImageRepository string
	// Canary, when above 0, upgrades that many agents of each hop first; the rest
	// wait for a run after the canary is verified.
	Canary int
	// Window limits when the controller starts a node's Job (SUC's spec.window); nil
	// means at any time.
	Window *upgradev1.TimeWindowSpec
	// PostCompleteDelay is the controller's own pause after each node's Job, before
	// the next node's; 0 leaves it out.
	PostCompleteDelay time.Duration
	// AcceptedHazards are the hop hazard IDs the operator acknowledged, recorded in
	// every Plan so that status can say which findings were let through.
	AcceptedHazards []string
}

// DefaultPlanConfig is a stock SUC install, one node at a time.
func DefaultPlanConfig() PlanConfig {
	return PlanConfig{
		Namespace: DefaultNamespace, ServiceAccount: DefaultServiceAccount,
		ServerConcurrency: 1, AgentConcurrency: 1, Drain: Drain{Timeout: DefaultDrainTimeout, GracePeriod: -1},
	}
}

// Validate refuses what SUC would silently turn into nothing (docs/domain.md: a
// concurrency of 0 runs no Job and reports the Plan Complete).
func (c PlanConfig) Validate() error {
	if c.ServerConcurrency < 1 {
		return fmt.Errorf("--server-concurrency %d: must be at least 1 (0 would make the controller upgrade nothing and report the Plan complete)", c.ServerConcurrency)
	}
	if c.AgentConcurrency < 1 {
		return fmt.Errorf("--agent-concurrency %d: must be at least 1 (0 would make the controller upgrade nothing and report the Plan complete)", c.AgentConcurrency)
	}
	if c.Canary < 0 {
		return fmt.Errorf("--canary %d: must not be negative", c.Canary)
	}
	if c.PostCompleteDelay < 0 {
		return fmt.Errorf("--post-complete-delay %s: must not be negative", c.PostCompleteDelay)
	}
	if err := c.Drain.Validate(); err != nil {
		return err
	}
	if c.Namespace == "" || c.ServiceAccount == "" {
		return fmt.Errorf("the system-upgrade-controller namespace and service account must not be empty")
	}
	return nil
}

// PlanName is the name of our Plan for one role and version. Names are stable so
// that re-running converges on the same objects.
func PlanName(role string, v version.Version) string {
	return safeName("kubectl-skew-" + role + "-" + strings.ToLower(v.ImageTag()))
}

// safeName keeps a name within 63 characters: SUC uses Plan names as label values
// and in the node label key plan.upgrade.cattle.io/<name>.
func safeName(s string) string {
	const max = 63
	if len(s) <= max {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return strings.TrimRight(s[:max-6], "-.") + "-" + hex.EncodeToString(sum[:])[:5]
}

// ServerPlan upgrades the hop's servers (control-plane and etcd-only alike) one
// Plan, cordoning each node first. Nodes are selected by kubernetes.io/hostname: no
// single role label covers both kinds of server, a label selector cannot say "or",
// and naming the nodes keeps a Plan off nodes already past its version.
func ServerPlan(d version.Distro, h upgradepath.Hop, rec Record, cfg PlanConfig) *upgradev1.Plan {
	p := basePlan(d, RoleServer, h.To, h.From, rec, cfg)
	p.Spec.Concurrency = cfg.ServerConcurrency
	p.Spec.NodeSelector = hostnameSelector(h.Servers, nil)
	p.Spec.Cordon = true
	return p
}

// AgentPlan upgrades the hop's agents. An agent crossing a minor is drained (an
// in-place minor kubelet upgrade is not supported, docs/domain.md); a patch is only
// cordoned. serverPlan, when set, becomes the prepare step that makes each Job wait
// for that Plan, a second guard behind our own sequencing.
func AgentPlan(d version.Distro, h upgradepath.Hop, serverPlan string, rec Record, cfg PlanConfig) *upgradev1.Plan {
	p := basePlan(d, RoleAgent, h.To, h.From, rec, cfg)
	p.Spec.Concurrency = cfg.AgentConcurrency
	// The role requirements keep a server that gained a role label since planning
	// out of the agents' Plan.
	p.Spec.NodeSelector = hostnameSelector(h.Agents, []metav1.LabelSelectorRequirement{
		{Key: cluster.LabelControlPlane, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"true"}},
		{Key: cluster.LabelEtcd, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"true"}},
	})
	if Drains(h) {
		p.Spec.Drain = cfg.Drain.spec()
		// SUC's default Job deadline is 600s; a drain may use all of its timeout
		// before the upgrade itself starts.
		p.Spec.JobActiveDeadlineSecs = ptr.To(int64((cfg.Drain.Timeout + 10*time.Minute) / time.Second))
	} else {
		p.Spec.Cordon = true
	}
	if serverPlan != "" {
		p.Spec.Prepare = &upgradev1.ContainerSpec{
			Image: p.Spec.Upgrade.Image,
			Args:  []string{"prepare", serverPlan},
		}
	}
	return p
}

// Drains reports whether the hop's agent Plan drains its nodes: when an agent crosses
// a minor (an in-place minor kubelet upgrade is not supported); a patch only cordons.
func Drains(h upgradepath.Hop) bool {
	for _, a := range h.Agents {
		if a.From.MinorVersion() != h.To.MinorVersion() {
			return true
		}
	}
	return false
}

func basePlan(d version.Distro, role string, to, from version.Version, rec Record, cfg PlanConfig) *upgradev1.Plan {
	p := &upgradev1.Plan{
		TypeMeta: metav1.TypeMeta{APIVersion: upgradev1.SchemeGroupVersion.String(), Kind: "Plan"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      PlanName(role, to),
			Namespace: cfg.Namespace,
			Labels: map[string]string{
				LabelManagedBy: ManagedBy,
				LabelRole:      role,
				LabelVersion:   to.ImageTag(),
			},
			Annotations: recordAnnotations(rec, from),
		},
		Spec: upgradev1.PlanSpec{
			// One exact version, never a channel: a channel can move mid-rollout.
			Version:            to.String(),
			ServiceAccountName: cfg.ServiceAccount,
			// An upgrade must run on its node whatever taints the node carries.
			Tolerations: allTaints(),
			Upgrade:     &upgradev1.ContainerSpec{Image: upgradeImage(d, to, cfg)},
		},
	}
	if cfg.Window != nil {
		p.Spec.Window = cfg.Window.DeepCopy()
	}
	for _, name := range cfg.ImagePullSecrets {
		p.Spec.ImagePullSecrets = append(p.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: name})
	}
	if cfg.PostCompleteDelay > 0 {
		p.Spec.PostCompleteDelay = &metav1.Duration{Duration: cfg.PostCompleteDelay}
	}
	return p
}

func upgradeImage(d version.Distro, v version.Version, cfg PlanConfig) string {
	if cfg.ImageRepository != "" {
		return cfg.ImageRepository + ":" + v.ImageTag()
	}
	return Image(d, v)
}

func allTaints() []corev1.Toleration {
	return []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
}

// hostnameSelector selects exactly the given nodes by kubernetes.io/hostname, the
// label SUC itself requires and reports in status.applying. It is never empty: a
// missing selector selects no node and an empty one selects all (docs/domain.md).
func hostnameSelector(steps []upgradepath.NodeStep, extra []metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	names := make([]string, 0, len(steps))
	seen := make(map[string]bool, len(steps))
	for _, s := range steps {
		h := s.Hostname
		if h == "" {
			h = s.Name
		}
		if !seen[h] {
			seen[h] = true
			names = append(names, h)
		}
	}
	sort.Strings(names)
	reqs := []metav1.LabelSelectorRequirement{
		{Key: cluster.LabelHostname, Operator: metav1.LabelSelectorOpIn, Values: names},
		// No upgrade image exists for Windows, and the controller refuses a Plan that
		// selects a Windows node: whatever else changes, none is ever selected.
		{Key: LabelOS, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"windows"}},
		// Nor a node the operator excluded, even one that gained the label since.
		{Key: cluster.LabelExclude, Operator: metav1.LabelSelectorOpNotIn, Values: []string{"true"}},
	}
	return &metav1.LabelSelector{MatchExpressions: append(reqs, extra...)}
}
