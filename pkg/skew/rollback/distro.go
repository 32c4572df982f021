package rollback

import "github.com/kubectl-skew/kubectl-skew/pkg/skew/install"

// How K3s and RKE2 are installed on a host (the install scripts, node-args, the
// masked secrets, shell quoting) is pkg/skew/install's; the runbook only puts its
// commands in order.

// masked is how K3s and RKE2 hide secret values in node-args.
const masked = install.Masked
