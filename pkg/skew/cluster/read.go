package cluster

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// PageSize is how many objects one list request asks for: big enough for few round
// trips, small enough to keep apiserver memory and latency flat on 5,000-node clusters.
const PageSize = 500

// ReadError is a read the inventory cannot do without (listing nodes).
type ReadError struct {
	What string
	Err  error
}

func (e *ReadError) Error() string { return fmt.Sprintf("%s: %v", e.What, e.Err) }
func (e *ReadError) Unwrap() error { return e.Err }

// Read lists what Build needs, concurrently: nodes, kube-system pods and /version.
// Only the node list is required; the others become Skipped entries when they fail.
func Read(ctx context.Context, kube kubernetes.Interface) (*Inventory, error) {
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
		obj.Nodes, nodeErr = listNodes(ctx, kube)
	}()
	go func() {
		defer wg.Done()
		obj.Pods, podErr = listKubeSystemPods(ctx, kube)
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
		return nil, &ReadError{What: "list nodes", Err: nodeErr}
	}
	if podErr != nil {
		obj.Pods = nil
		obj.Skipped = append(obj.Skipped, Skipped{
			What:   "kube-system pods (static control-plane pods, kube-proxy)",
			Reason: reason(podErr),
		})
	}
	if verErr != nil {
		obj.Skipped = append(obj.Skipped, Skipped{What: "/version", Reason: reason(verErr)})
	}
	return Build(obj), nil
}

func reason(err error) string {
	if apierrors.IsForbidden(err) {
		return "forbidden: " + err.Error()
	}
	return err.Error()
}

func listNodes(ctx context.Context, kube kubernetes.Interface) ([]corev1.Node, error) {
	var out []corev1.Node
	err := paginate(ctx, func(opts metav1.ListOptions) (string, error) {
		l, err := kube.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return "", err
		}
		if out == nil {
			out = make([]corev1.Node, 0, len(l.Items)+int(ptrOr(l.RemainingItemCount)))
		}
		out = append(out, l.Items...)
		return l.Continue, nil
	}, func() { out = out[:0] })
	return out, err
}

func listKubeSystemPods(ctx context.Context, kube kubernetes.Interface) ([]corev1.Pod, error) {
	out := []corev1.Pod{}
	err := paginate(ctx, func(opts metav1.ListOptions) (string, error) {
		l, err := kube.CoreV1().Pods(metav1.NamespaceSystem).List(ctx, opts)
		if err != nil {
			return "", err
		}
		out = append(out, l.Items...)
		return l.Continue, nil
	}, func() { out = out[:0] })
	return out, err
}

// paginate calls page until the continue token is empty. An expired token (the list
// took longer than etcd's compaction window) restarts the list from the beginning.
func paginate(ctx context.Context, page func(metav1.ListOptions) (string, error), reset func()) error {
	opts := metav1.ListOptions{Limit: PageSize}
	restarted := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := page(opts)
		if apierrors.IsResourceExpired(err) && !restarted {
			restarted = true
			reset()
			opts.Continue = ""
			continue
		}
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		opts.Continue = next
	}
}

func ptrOr(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
