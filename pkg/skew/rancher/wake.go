package rancher

import (
	"context"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
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

// watchChanges wakes the returned channel (coalesced: one wake-up for a burst) at
// each change of the objects until ctx ends. An object that cannot be watched is
// left to the resync; a watch that ends is opened again.
func watchChanges(ctx context.Context, dyn dynamic.Interface, what ...watched) <-chan struct{} {
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	for _, w := range what {
		go func() {
			opts := metav1.ListOptions{}
			if w.name != "" {
				opts.FieldSelector = fields.OneTermEqualSelector("metadata.name", w.name).String()
			}
			for ctx.Err() == nil {
				var ri dynamic.ResourceInterface = dyn.Resource(w.gvr)
				if w.ns != "" {
					ri = dyn.Resource(w.gvr).Namespace(w.ns)
				}
				wi, err := ri.Watch(ctx, opts)
				if err != nil {
					return
				}
				for range wi.ResultChan() {
					poke()
				}
				wi.Stop()
				// A watch the server ends is opened again, at most once a second.
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}()
	}
	return wake
}
