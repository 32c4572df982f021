package upgrade

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// Cluster is a cluster as upgrade needs it: the inventory the planner and the skew
// policy read, and the raw nodes whose labels the preflight checks read.
type Cluster struct {
	Nodes     []corev1.Node
	Inventory *cluster.Inventory
}

// ReadCluster lists nodes, kube-system pods and /version concurrently, once, and
// builds the inventory from them. Only the node list is required.
func ReadCluster(ctx context.Context, kube kubernetes.Interface) (*Cluster, error) {
	var (
		wg                     sync.WaitGroup
		obj                    cluster.Objects
		nodeErr, podErr, verEr error
	)
	wg.Add(3)
	go func() {
		defer wg.Done()
		obj.Nodes, nodeErr = listAll(ctx, func(o metav1.ListOptions) ([]corev1.Node, string, error) {
			l, err := kube.CoreV1().Nodes().List(ctx, o)
			if err != nil {
				return nil, "", err
			}
			return l.Items, l.Continue, nil
		})
	}()
	go func() {
		defer wg.Done()
		obj.Pods, podErr = listAll(ctx, func(o metav1.ListOptions) ([]corev1.Pod, string, error) {
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
		verEr = err
	}()
	wg.Wait()
	if nodeErr != nil {
		return nil, &cluster.ReadError{What: "list nodes", Err: nodeErr}
	}
	if podErr != nil {
		obj.Pods = nil
		obj.Skipped = append(obj.Skipped, cluster.Skipped{What: "kube-system pods (static control-plane pods, kube-proxy)", Reason: reason(podErr)})
	}
	if verEr != nil {
		obj.Skipped = append(obj.Skipped, cluster.Skipped{What: "/version", Reason: reason(verEr)})
	}
	if obj.Pods == nil && podErr == nil {
		obj.Pods = []corev1.Pod{}
	}
	return &Cluster{Nodes: obj.Nodes, Inventory: cluster.Build(obj)}, nil
}

// listAll pages through a list; an expired continue token restarts it once.
func listAll[T any](ctx context.Context, page func(metav1.ListOptions) ([]T, string, error)) ([]T, error) {
	var out []T
	opts := metav1.ListOptions{Limit: cluster.PageSize}
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
