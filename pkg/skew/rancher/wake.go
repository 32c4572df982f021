package rancher

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/changes"
)

// Resync is how often a wait reads Rancher's objects with nothing changed: only
// for the decisions elapsed time makes (a stall). Every change a watch sees wakes
// it at once.
const Resync = 10 * time.Second

// watched is one kind of Rancher object a wait follows: in namespace ns ("" for
// cluster-scoped), only name when set.
type watched struct {
	gvr  schema.GroupVersionResource
	ns   string
	name string
}

// watchChanges wakes the returned channel at each change of the objects until ctx
// ends (changes.Watch: coalesced, re-opened when the server ends a watch).
func watchChanges(ctx context.Context, dyn dynamic.Interface, what ...watched) <-chan struct{} {
	open := make([]changes.Opener, 0, len(what))
	for _, w := range what {
		opts := metav1.ListOptions{}
		if w.name != "" {
			opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", w.name).String()
		}
		var ri dynamic.ResourceInterface = dyn.Resource(w.gvr)
		if w.ns != "" {
			ri = dyn.Resource(w.gvr).Namespace(w.ns)
		}
		open = append(open, func(ctx context.Context) (watch.Interface, error) { return ri.Watch(ctx, opts) })
	}
	return changes.Watch(ctx, open...)
}
