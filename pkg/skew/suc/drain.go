package suc

import (
	"fmt"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Drain is kubectl drain's options as SUC's drain spec carries them, one to one.
type Drain struct {
	// Timeout bounds the whole drain; past it the Job fails and the node stays cordoned.
	// An eviction a PodDisruptionBudget forbids is retried until then.
	Timeout time.Duration
	// GracePeriod overrides each pod's terminationGracePeriodSeconds; -1 keeps theirs.
	GracePeriod int32
	// Force also deletes pods that no controller manages: they are lost for good.
	Force bool
	// PodSelector limits the drain to the pods it selects (a label selector).
	PodSelector string
	// DisableEviction deletes pods instead of evicting them: PodDisruptionBudgets are
	// bypassed.
	DisableEviction bool
	// SkipWaitForDeleteTimeout stops waiting for pods whose deletion began more than
	// this many seconds ago (0: wait for every pod). It does not concern budgets.
	SkipWaitForDeleteTimeout int
}

// Validate refuses values kubectl drain would refuse, naming the flag.
func (d Drain) Validate() error {
	if d.Timeout <= 0 {
		return fmt.Errorf("--drain-timeout %s: must be positive", d.Timeout)
	}
	if d.GracePeriod < -1 {
		return fmt.Errorf("--drain-grace-period %d: use seconds, or -1 to keep each pod's own", d.GracePeriod)
	}
	if d.SkipWaitForDeleteTimeout < 0 {
		return fmt.Errorf("--drain-skip-wait-for-delete-timeout %d: must not be negative", d.SkipWaitForDeleteTimeout)
	}
	if _, err := d.Selector(); err != nil {
		return fmt.Errorf("--drain-pod-selector %q: %w", d.PodSelector, err)
	}
	return nil
}

// Selector is PodSelector in the form SUC's drain spec takes; nil when none was
// given. It reads kubectl's selector syntax, "!=" included.
func (d Drain) Selector() (*metav1.LabelSelector, error) {
	if d.PodSelector == "" {
		return nil, nil
	}
	sel, err := labels.Parse(d.PodSelector)
	if err != nil {
		return nil, err
	}
	reqs, _ := sel.Requirements()
	out := &metav1.LabelSelector{}
	for _, r := range reqs {
		var op metav1.LabelSelectorOperator
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			op = metav1.LabelSelectorOpIn
		case selection.NotEquals, selection.NotIn:
			op = metav1.LabelSelectorOpNotIn
		case selection.Exists:
			op = metav1.LabelSelectorOpExists
		case selection.DoesNotExist:
			op = metav1.LabelSelectorOpDoesNotExist
		default:
			return nil, fmt.Errorf("operator %s is not supported in a pod selector", r.Operator())
		}
		out.MatchExpressions = append(out.MatchExpressions, metav1.LabelSelectorRequirement{Key: r.Key(), Operator: op, Values: r.Values().List()})
	}
	return out, nil
}

func (d Drain) spec() *upgradev1.DrainSpec {
	timeout := intstr.FromString(d.Timeout.String())
	s := &upgradev1.DrainSpec{
		Timeout:            &timeout,
		DeleteEmptydirData: ptr.To(true),
		IgnoreDaemonSets:   ptr.To(true),
		Force:              d.Force,
		DisableEviction:    d.DisableEviction,
		// Zero leaves kubectl's default: wait for every pod to go.
		SkipWaitForDeleteTimeout: d.SkipWaitForDeleteTimeout,
	}
	if d.GracePeriod >= 0 {
		s.GracePeriod = ptr.To(d.GracePeriod)
	}
	s.PodSelector, _ = d.Selector()
	return s
}
