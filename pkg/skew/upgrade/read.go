package upgrade

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// Cluster is a cluster as upgrade needs it: the inventory the planner and the skew
// policy read, and the raw nodes whose labels the preflight checks read.
type Cluster struct {
	Nodes     []corev1.Node
	Inventory *cluster.Inventory
}

// ReadCluster reads the cluster once (cluster.ReadObjects) and keeps the raw nodes
// beside the inventory built from them.
func ReadCluster(ctx context.Context, kube kubernetes.Interface) (*Cluster, error) {
	obj, err := cluster.ReadObjects(ctx, kube)
	if err != nil {
		return nil, err
	}
	return &Cluster{Nodes: obj.Nodes, Inventory: cluster.Build(obj)}, nil
}
