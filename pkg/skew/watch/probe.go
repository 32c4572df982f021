package watch

import (
	"context"
	"sync"

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
// caches silently age. The two resources are probed at the same time; when both fail,
// the nodes' error is the one returned.
func probeWatch(ctx context.Context, kube kubernetes.Interface) error {
	timeout := int64(1)
	// A field selector that matches nothing, from resourceVersion "0": the watch cache
	// answers at once, with no object to replay. A watch without a resourceVersion
	// ("from now") makes the apiserver first confirm that its cache is as new as etcd,
	// which takes up to 3 s where etcd cannot say so quickly (etcd before 3.4.31 and
	// 3.5.13).
	opts := metav1.ListOptions{FieldSelector: "metadata.name=" + probeName, ResourceVersion: "0", TimeoutSeconds: &timeout}
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
	errs := make([]error, len(probes))
	var wg sync.WaitGroup
	for i, p := range probes {
		wg.Go(func() {
			if err := p.list(); err != nil {
				errs[i] = &SyncError{What: p.what, Err: err}
				return
			}
			wi, err := p.watch()
			if err != nil {
				errs[i] = &SyncError{What: p.what, Err: err}
				return
			}
			wi.Stop()
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
