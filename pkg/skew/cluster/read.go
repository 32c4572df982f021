package cluster

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
)

// pageSize is how many objects one list request asks for: big enough for few round
// trips, small enough to keep apiserver memory and latency flat on 5,000-node clusters.
const pageSize = 500

// ReadError is a read the inventory cannot do without (listing nodes).
type ReadError struct {
	What string
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("%s: %v", e.What, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }

// Read lists what Build needs and builds the Inventory.
func Read(ctx context.Context, kube kubernetes.Interface) (*Inventory, error) {
	obj, err := ReadObjects(ctx, kube)
	if err != nil {
		return nil, err
	}
	return Build(obj), nil
}

// ReadObjects lists what Build needs, concurrently and once: nodes, kube-system pods
// and /version. Only the node list is required; the others become Skipped entries when
// they fail. Callers that also need the raw nodes (upgrade's preflight) start here.
func ReadObjects(ctx context.Context, kube kubernetes.Interface) (Objects, error) {
	var (
		wg      sync.WaitGroup
		obj     Objects
		nodeErr error
		podErr  error
		verErr  error
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		obj.Nodes, nodeErr = ListAll(ctx, func(o metav1.ListOptions) ([]corev1.Node, string, error) {
			l, err := kube.CoreV1().Nodes().List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return l.Items, l.Continue, nil
		})
	}()
	go func() {
		defer wg.Done()
		obj.Pods, podErr = ListAll(ctx, func(o metav1.ListOptions) ([]corev1.Pod, string, error) {
			l, err := kube.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return l.Items, l.Continue, nil
		})
	}()
	go func() {
		defer wg.Done()
		v, err := kube.Discovery().ServerVersion()
		if err == nil {
			obj.ServerVersion = v.GitVersion
		}
		verErr = err
	}()
	wg.Wait()
	if nodeErr != nil {
		return Objects{}, &ReadError{What: "list nodes", Err: nodeErr}
	}
	if podErr != nil {
		obj.Pods = nil
		obj.Skipped = append(obj.Skipped, Skipped{
			What:   "kube-system pods (static control-plane pods, kube-proxy)",
			Reason: reason(podErr),
		})
	} else if obj.Pods == nil {
		obj.Pods = []corev1.Pod{} // read, and empty: not the same as unreadable
	}
	if verErr != nil {
		obj.Skipped = append(obj.Skipped, Skipped{What: "/version", Reason: reason(verErr)})
	}
	return obj, nil
}

func reason(err error) string {
	if apierrors.IsForbidden(err) {
		return "forbidden: " + err.Error()
	}
	return err.Error()
}

// ListAll pages through a list, pageSize objects a request. An expired continue token
// (the list took longer than etcd's compaction window) restarts the list once.
func ListAll[T any](ctx context.Context, page func(metav1.ListOptions) ([]T, string, error)) ([]T, error) {
	var out []T
	opts := metav1.ListOptions{Limit: pageSize}
	restarted := false
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		items, next, err := page(opts)
		if apierrors.IsResourceExpired(err) && !restarted {
			restarted, out, opts.Continue = true, nil, ""
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		opts.Continue = next
	}
}

// Served reports whether the apiserver serves a resource, through discovery: a
// group version it does not know is "not served", not an error.
func Served(d discovery.DiscoveryInterface, gvr schema.GroupVersionResource) (bool, error) {
	rl, err := d.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	for _, r := range rl.APIResources {
		if r.Name == gvr.Resource {
			return true, nil
		}
	}
	return false, nil
}
