package suc

import (
	"context"
	"errors"
	"fmt"
	"sort"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// PlanResource is SUC's Plan.
var PlanResource = schema.GroupVersionResource{Group: "upgrade.cattle.io", Version: "v1", Resource: "plans"}

// ErrNotOurs refuses to change an object kubectl-skew did not create.
var ErrNotOurs = errors.New("not created by kubectl-skew")

// ErrAborting refuses to change a Plan that kubectl skew abort is stopping.
var ErrAborting = errors.New("an abort is in progress")

// Client reads and writes Plans in SUC's namespace, and never touches one without
// our label.
type Client struct {
	Dynamic   dynamic.Interface
	Namespace string
}

func (c *Client) client() dynamic.ResourceInterface {
	return c.Dynamic.Resource(PlanResource).Namespace(c.Namespace)
}

// List returns every Plan in the namespace, ours and others', by name.
func (c *Client) List(ctx context.Context) ([]upgradev1.Plan, error) {
	return c.list(ctx, metav1.ListOptions{})
}

// Ours returns our Plans, by name.
func (c *Client) Ours(ctx context.Context) ([]upgradev1.Plan, error) {
	return c.list(ctx, metav1.ListOptions{LabelSelector: OwnedSelector})
}

func (c *Client) list(ctx context.Context, opts metav1.ListOptions) ([]upgradev1.Plan, error) {
	l, err := c.client().List(ctx, opts)
	if err != nil {
		return nil, err
	}
	out := make([]upgradev1.Plan, 0, len(l.Items))
	for i := range l.Items {
		p, err := FromUnstructured(&l.Items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Action says what applying one Plan did.
type Action string

const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
)

// Applied is the outcome for one Plan.
type Applied struct {
	Name   string
	Action Action
	// Plan is the object as the server returned it (a server dry run shows defaults).
	Plan *upgradev1.Plan
}

// ApplyOptions choose how Apply writes.
type ApplyOptions struct {
	// DryRun asks the server to validate and default without persisting (SSA DryRun=All).
	DryRun bool
}

// Preview says what Apply would do to each Plan, without writing. A Plan of the
// same name that is not ours is refused.
func (c *Client) Preview(ctx context.Context, plans []*upgradev1.Plan) ([]Applied, error) {
	var existing []upgradev1.Plan
	for _, want := range plans {
		got, err := c.client().Get(ctx, want.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case err != nil:
			return nil, fmt.Errorf("get plan %s/%s: %w", c.Namespace, want.Name, err)
		}
		p, err := FromUnstructured(got)
		if err != nil {
			return nil, err
		}
		existing = append(existing, *p)
	}
	return PreviewAgainst(plans, existing)
}

// PreviewAgainst says what applying plans would do, given the Plans that exist.
// A Plan of the same name that is not ours is refused.
func PreviewAgainst(plans []*upgradev1.Plan, existing []upgradev1.Plan) ([]Applied, error) {
	byName := make(map[string]*upgradev1.Plan, len(existing))
	for i := range existing {
		byName[existing[i].Name] = &existing[i]
	}
	out := make([]Applied, len(plans))
	for i, want := range plans {
		out[i] = Applied{Name: want.Name, Action: Created, Plan: want}
		got := byName[want.Name]
		if got == nil {
			continue
		}
		if !IsOurs(got.Labels) {
			return nil, fmt.Errorf("plan %s/%s exists and is %w (it lacks the label %s): refusing to overwrite it; rename or remove it",
				got.Namespace, want.Name, ErrNotOurs, OwnedSelector)
		}
		if since := AbortingSince(got); since != "" && AbortingSince(want) == "" {
			return nil, fmt.Errorf("plan %s/%s: %w (since %s): run kubectl skew abort again to finish it, then start the upgrade anew",
				got.Namespace, want.Name, ErrAborting, since)
		}
		out[i].Action, out[i].Plan = Configured, got
		if upToDate(got, want) {
			out[i].Action = Unchanged
		}
	}
	return out, nil
}

// Ours keeps the Plans that carry our label.
func Ours(plans []upgradev1.Plan) []upgradev1.Plan {
	var out []upgradev1.Plan
	for _, p := range plans {
		if IsOurs(p.Labels) {
			out = append(out, p)
		}
	}
	return out
}

// Apply creates or updates each Plan with server-side apply (field manager
// kubectl-skew). A Plan of the same name that is not ours is refused before anything
// is written; one already as wanted is left alone, so a re-run changes nothing.
//
// Each write is conditional on the Plan being as Preview read it (its
// resourceVersion): a Plan changed in between, by the controller's status or by an
// abort narrowing it, is read again and judged again, so an abort that began after
// the read is never undone.
func (c *Client) Apply(ctx context.Context, plans []*upgradev1.Plan, opts ApplyOptions) ([]Applied, error) {
	preview, err := c.Preview(ctx, plans)
	if err != nil {
		return nil, err // nothing is written unless every Plan may be
	}
	out := make([]Applied, 0, len(plans))
	for i, want := range plans {
		a, err := c.applyOne(ctx, want, preview[i], opts)
		if err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, nil
}

// applyConflictRetries bounds how often one Plan is read again after it changed
// under a write; the controller writes a Plan's status a few times per node.
const applyConflictRetries = 8

// applyOne writes want, as read in seen; after a conflict it reads the Plan again.
func (c *Client) applyOne(ctx context.Context, want *upgradev1.Plan, seen Applied, opts ApplyOptions) (Applied, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			again, err := c.Preview(ctx, []*upgradev1.Plan{want})
			if err != nil {
				return Applied{}, err
			}
			seen = again[0]
		}
		if seen.Action == Unchanged && !opts.DryRun {
			return seen, nil
		}
		u, err := ToUnstructured(want)
		if err != nil {
			return Applied{}, err
		}
		if seen.Action == Configured {
			u.SetResourceVersion(seen.Plan.ResourceVersion)
		}
		ao := metav1.ApplyOptions{FieldManager: FieldManager, Force: true}
		if opts.DryRun {
			ao.DryRun = []string{metav1.DryRunAll}
		}
		got, err := c.client().Apply(ctx, want.Name, u, ao)
		if apierrors.IsConflict(err) && attempt < applyConflictRetries {
			continue
		}
		if err != nil {
			return Applied{}, fmt.Errorf("apply plan %s/%s: %w", c.Namespace, want.Name, err)
		}
		p, err := FromUnstructured(got)
		if err != nil {
			return Applied{}, err
		}
		return Applied{Name: want.Name, Action: seen.Action, Plan: p}, nil
	}
}

// upToDate reports whether got already has everything want sets. Others may add
// labels or annotations; we only compare ours.
func upToDate(got, want *upgradev1.Plan) bool {
	for k, v := range want.Labels {
		if got.Labels[k] != v {
			return false
		}
	}
	for k, v := range want.Annotations {
		if got.Annotations[k] != v {
			return false
		}
	}
	return apiequality.Semantic.DeepEqual(got.Spec, want.Spec)
}

// Delete removes one of our Plans (SUC then deletes its Jobs). It refuses a Plan
// that is not ours, or one still upgrading a node unless force.
func (c *Client) Delete(ctx context.Context, name string, dryRun bool) error {
	got, err := c.client().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("get plan %s/%s: %w", c.Namespace, name, err)
	}
	if !IsOurs(got.GetLabels()) {
		return fmt.Errorf("plan %s/%s is %w: refusing to delete it", c.Namespace, name, ErrNotOurs)
	}
	opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptrUID(got)}}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	if err := c.client().Delete(ctx, name, opts); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete plan %s/%s: %w", c.Namespace, name, err)
	}
	return nil
}

// ToUnstructured is a Plan as apply and the printers want it: no status, no empty
// creationTimestamp.
func ToUnstructured(p *upgradev1.Plan) (*unstructured.Unstructured, error) {
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(p)
	if err != nil {
		return nil, fmt.Errorf("convert plan %s: %w", p.Name, err)
	}
	delete(obj, "status")
	if md, ok := obj["metadata"].(map[string]any); ok {
		// What the server owns: a Plan printed for GitOps must apply anywhere.
		for _, k := range []string{"creationTimestamp", "managedFields", "uid", "resourceVersion", "generation"} {
			delete(md, k)
		}
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetAPIVersion(upgradev1.SchemeGroupVersion.String())
	u.SetKind("Plan")
	return u, nil
}

// FromUnstructured decodes a Plan the dynamic client returned.
func FromUnstructured(u *unstructured.Unstructured) (*upgradev1.Plan, error) {
	p := &upgradev1.Plan{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, p); err != nil {
		return nil, fmt.Errorf("decode plan %s: %w", u.GetName(), err)
	}
	return p, nil
}

// PlanList wraps Plans in a v1 List, the shape `kubectl apply -f` takes.
func PlanList(plans []*upgradev1.Plan) (*unstructured.UnstructuredList, error) {
	l := &unstructured.UnstructuredList{Object: map[string]any{"apiVersion": "v1", "kind": "List", "metadata": map[string]any{}}}
	for _, p := range plans {
		u, err := ToUnstructured(p)
		if err != nil {
			return nil, err
		}
		l.Items = append(l.Items, *u)
	}
	return l, nil
}

func ptrUID(u *unstructured.Unstructured) *types.UID {
	uid := u.GetUID()
	return &uid
}
