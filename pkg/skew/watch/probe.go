package watch

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// probeName matches no object: the probe's watch asks the apiserver for permission
// and nothing else.
const probeName = "kubectl-skew.io/no-such-object"

// probeWatch lists one object of the nodes and of the kube-system pods and opens and
// closes a watch on each, so that missing RBAC (or credentials, or a route to the
// apiserver) fails at the start with a clear error. Without it the informers would
// retry a forbidden list or watch forever, or sync from their list and then let the
// caches silently age.
func probeWatch(ctx context.Context, kube kubernetes.Interface) error {
	timeout := int64(1)
	// A field selector that matches nothing: a watch from "now" on a name no object
	// has sends no events, where an unfiltered one would replay every object first.
	opts := metav1.ListOptions{FieldSelector: "metadata.name=" + probeName, TimeoutSeconds: &timeout}
	one := metav1.ListOptions{Limit: 1}
	probes := []struct {
		what  string
		list  func() error
		watch func() (watch.Interface, error)
	}{
		{"watch nodes",
			func() error { _, err := kube.CoreV1().Nodes().List(ctx, one); return err },
			func() (watch.Interface, error) { return kube.CoreV1().Nodes().Watch(ctx, opts) }},
		{"watch pods in kube-system",
			func() error { _, err := kube.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, one); return err },
			func() (watch.Interface, error) { return kube.CoreV1().Pods(metav1.NamespaceSystem).Watch(ctx, opts) }},
	}
	for _, p := range probes {
		if err := p.list(); err != nil {
			return &SyncError{What: p.what, Err: err}
		}
		wi, err := p.watch()
		if err != nil {
			return &SyncError{What: p.what, Err: err}
		}
		wi.Stop()
	}
	return nil
}
