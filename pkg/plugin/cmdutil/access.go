package cmdutil

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/access"
)

// RequireAccess asks the apiserver, before the command reads or writes anything,
// whether this identity has every required permission of the access set named set
// (for a run with o), and refuses in one line naming the missing ones and the manifest
// that grants them.
func RequireAccess(ctx context.Context, c *Clients, set string, o access.Options) error {
	s := access.Find(set)
	if s == nil {
		return fmt.Errorf("no permission set %q", set)
	}
	// Its own request budget: a set asks a few dozen reviews at once, which the shared
	// client's default budget would throttle (and klog would say so on stderr).
	kube := c.Kube
	if own, err := c.Derived(OwnBudget); err == nil {
		kube = own.Kube
	}
	err := access.Require(ctx, kube, s, o)
	var missing *access.MissingError
	if err == nil || errors.As(err, &missing) {
		return err
	}
	var status apierrors.APIStatus
	if !s.Writes && !errors.As(err, &status) {
		// Unreachable or timed out: a read-only command's first read says so in its
		// own words (list nodes: cannot reach ...), before it could read anything.
		return nil
	}
	return APIError("check this identity's permissions", c.Server, UnwrapAPI(err))
}
