package suc

import (
	"context"
	"fmt"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Marks we put on a Plan after it exists go into its node selector, not into an
// annotation: the controller copies annotations into its Jobs' pod template and
// replaces a Job in flight whose template changed (jobshape.go), which would start
// over the very upgrades a mark is about. The selector is in neither the template nor
// the Plan's hash. A mark is a requirement no node fails: `<key> NotIn [<time>]`, on
// a key no node carries as a label.
const (
	// KeyAborting marks a Plan abort narrowed to the nodes it was upgrading: no run
	// may widen it again. Plans an earlier kubectl-skew marked carry it as an
	// annotation instead, which AbortingSince reads too.
	KeyAborting = "kubectl-skew.io/aborting"
	// keyRetried marks a Plan whose failed Jobs a run deleted (--retry-failed): the
	// write makes the controller look at the Plan again and create fresh Jobs.
	keyRetried = "kubectl-skew.io/retried"
	// markLayout writes a mark's time as a label value.
	markLayout = "20060102T150405Z"
)

// MarkAborting marks p as narrowed by abort at `at`, unless it is marked already.
func MarkAborting(p *upgradev1.Plan, at time.Time) {
	if AbortingSince(p) == "" {
		setMark(p, KeyAborting, at)
	}
}

// AbortingSince is when abort marked p (RFC 3339), "" when it did not.
func AbortingSince(p *upgradev1.Plan) string {
	if at := markOf(p, KeyAborting); at != "" {
		return at
	}
	return p.Annotations[KeyAborting]
}

// Touch makes the controller look at one of our Plans again, which it does on any
// change of the Plan: it then creates the Job of a node whose failed Job was deleted.
// The change is a mark in the selector (at), so no Job in flight is replaced.
func (c *Client) Touch(ctx context.Context, name string, at time.Time) error {
	u, err := c.client().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("get plan %s/%s: %w", c.Namespace, name, err)
	}
	p, err := FromUnstructured(u)
	if err != nil {
		return err
	}
	setMark(p, keyRetried, at)
	if _, err := c.Apply(ctx, []*upgradev1.Plan{p}, ApplyOptions{}); err != nil {
		return fmt.Errorf("touch plan %s/%s: %w", c.Namespace, name, err)
	}
	return nil
}

// setMark sets p's requirement on key to `at`, replacing one there is.
func setMark(p *upgradev1.Plan, key string, at time.Time) {
	if p.Spec.NodeSelector == nil {
		p.Spec.NodeSelector = &metav1.LabelSelector{}
	}
	r := metav1.LabelSelectorRequirement{Key: key, Operator: metav1.LabelSelectorOpNotIn, Values: []string{at.UTC().Format(markLayout)}}
	reqs := p.Spec.NodeSelector.MatchExpressions
	for i := range reqs {
		if reqs[i].Key == key {
			reqs[i] = r
			return
		}
	}
	p.Spec.NodeSelector.MatchExpressions = append(reqs, r)
}

// markOf is the time of p's mark on key (RFC 3339), "" when it has none.
func markOf(p *upgradev1.Plan, key string) string {
	if p.Spec.NodeSelector == nil {
		return ""
	}
	for _, r := range p.Spec.NodeSelector.MatchExpressions {
		if r.Key != key || len(r.Values) == 0 {
			continue
		}
		if at, err := time.Parse(markLayout, r.Values[0]); err == nil {
			return at.Format(time.RFC3339)
		}
		return r.Values[0]
	}
	return ""
}
