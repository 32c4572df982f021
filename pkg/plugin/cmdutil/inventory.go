package cmdutil

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// ReadInventory reads the cluster, turning a failed read into a one-line error.
func ReadInventory(ctx context.Context, env *Env) (*cluster.Inventory, error) {
	c, err := env.Clients()
	if err != nil {
		return nil, err
	}
	inv, _, err := ReadCluster(ctx, env, c)
	return inv, err
}

// ReadCluster reads the cluster through c, turning a failed read into a one-line error
// and warning on stderr about what it skipped. The nodes come back as listed, for what
// the inventory leaves out (the hazards read their annotations).
func ReadCluster(ctx context.Context, env *Env, c *Clients) (*cluster.Inventory, []corev1.Node, error) {
	obj, err := cluster.ReadObjects(ctx, c.Kube)
	if err != nil {
		var re *cluster.ReadError
		if errors.As(err, &re) {
			return nil, nil, APIError(re.What, c.Server, re.Err)
		}
		return nil, nil, err
	}
	inv := cluster.Build(obj)
	for _, s := range inv.Skipped {
		fmt.Fprintf(env.Streams.ErrOut, "warning: skipped %s: %s\n", s.What, s.Reason)
	}
	return inv, obj.Nodes, nil
}
