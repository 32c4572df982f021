package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// ReadInventory reads the cluster, turning a failed read into a one-line error.
func ReadInventory(ctx context.Context, env *Env) (*cluster.Inventory, error) {
	c, err := env.Clients()
	if err != nil {
		return nil, err
	}
	inv, err := cluster.Read(ctx, c.Kube)
	if err != nil {
		var re *cluster.ReadError
		if errors.As(err, &re) {
			return nil, APIError(re.What, c.Server, re.Err)
		}
		return nil, err
	}
	for _, s := range inv.Skipped {
		fmt.Fprintf(env.Streams.ErrOut, "warning: skipped %s: %s\n", s.What, s.Reason)
	}
	return inv, nil
}

// KubeletSample names a kubelet version for a message about the distribution.
func KubeletSample(inv *cluster.Inventory) string {
	for _, n := range inv.Nodes {
		if n.KubeletVersion != "" {
			return n.KubeletVersion
		}
	}
	if len(inv.Nodes) == 0 {
		return "nothing: the cluster has no nodes"
	}
	return "no version"
}
