package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// RancherFlags select Rancher mode: the current context is Rancher's management
// cluster, and --rancher-cluster names the provisioned cluster to work on.
type RancherFlags struct {
	Cluster         string
	Namespace, Name string
	// imported is the management Cluster (c-m-…) of an imported K3s/RKE2 cluster
	// that Cluster names, once Detect found one; detected says Detect ran.
	imported string
	detected bool
}

// defaultRancherNamespace is where Rancher keeps downstream provisioning Clusters.
const defaultRancherNamespace = "fleet-default"

func (r *RancherFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.Cluster, "rancher-cluster", "", "Work on a Rancher cluster through the Rancher management cluster of the current context: an imported K3s/RKE2 cluster by its Cluster name (c-m-…) or display name, or a provisioned one by NAMESPACE/NAME of its provisioning.cattle.io Cluster (NAME alone means fleet-default/NAME)")
}

// Complete splits NAMESPACE/NAME.
func (r *RancherFlags) Complete() error {
	if r.Cluster == "" {
		return nil
	}
	ns, name, found := strings.Cut(r.Cluster, "/")
	if !found {
		ns, name = defaultRancherNamespace, r.Cluster
	}
	if ns == "" || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("--rancher-cluster %q: use NAMESPACE/NAME, such as fleet-default/prod-east", r.Cluster)
	}
	r.Namespace, r.Name = ns, name
	return nil
}

func (r *RancherFlags) Enabled() bool { return r.Name != "" }

// WithoutFiles refuses -f in Rancher mode: the removed-API scan needs the downstream
// cluster's own apiserver, and a flag silently ignored would read as a clean result.
func (r *RancherFlags) WithoutFiles(files []string) error {
	if r.Enabled() && len(files) > 0 {
		return fmt.Errorf("--rancher-cluster works from Rancher's objects: -f needs the downstream cluster's own kubeconfig (run the command against it instead)")
	}
	return nil
}

func (r *RancherFlags) Ref() string {
	if r.imported != "" {
		return r.imported
	}
	return r.Namespace + "/" + r.Name
}

// Detect finds out, once, whether --rancher-cluster names an imported K3s/RKE2
// cluster: a name without a namespace that is a management Cluster's name or display
// name, or NAMESPACE/NAME of the provisioning Cluster Rancher lists an imported
// cluster as (no rkeConfig, status.clusterName the c-m-… cluster). Anything else is
// a provisioned cluster, which Read reads.
func (r *RancherFlags) Detect(ctx context.Context, env *Env) (bool, error) {
	if r.detected {
		return r.imported != "", nil
	}
	c, err := env.Clients()
	if err != nil {
		return false, err
	}
	if served, derr := cluster.Served(c.Discovery, rancher.ManagementClusterResource); derr != nil || !served || c.Dynamic == nil {
		r.detected = true
		return false, nil
	}
	var name string
	if strings.Contains(r.Cluster, "/") {
		name, err = rancher.ImportedBehind(ctx, c.Dynamic, r.Namespace, r.Name)
	} else {
		name, err = rancher.FindImported(ctx, c.Dynamic, r.Cluster)
	}
	if err != nil {
		var amb *rancher.AmbiguousError
		if errors.As(err, &amb) {
			return false, err
		}
		return false, APIError("look up the Rancher cluster "+r.Cluster, c.Server, UnwrapAPI(err))
	}
	r.imported, r.detected = name, true
	return name != "", nil
}

// ReadManaged reads the cluster --rancher-cluster names, imported or provisioned:
// the one place a command finds out which.
func (r *RancherFlags) ReadManaged(ctx context.Context, env *Env) (rancher.Managed, *Clients, error) {
	imported, err := r.Detect(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	if imported {
		return r.ReadImported(ctx, env)
	}
	return r.Read(ctx, env)
}

// Read reads the provisioned cluster from the management cluster.
func (r *RancherFlags) Read(ctx context.Context, env *Env) (*rancher.State, *Clients, error) {
	c, err := env.Clients()
	if err != nil {
		return nil, nil, err
	}
	if served, derr := cluster.Served(c.Discovery, rancher.ClusterResource); derr == nil && !served {
		return nil, nil, fmt.Errorf("this is not a Rancher management cluster (provisioning.cattle.io/v1 clusters is not served at %s): use the context of Rancher's local cluster with --rancher-cluster", c.Server)
	}
	if c.Dynamic == nil {
		return nil, nil, errors.New("the Rancher mode needs a dynamic client")
	}
	s, err := rancher.Read(ctx, c.Dynamic, r.Namespace, r.Name)
	if err != nil {
		var nf *rancher.NotFoundError
		if errors.As(err, &nf) {
			return nil, nil, fmt.Errorf("%v; kubectl get clusters.provisioning.cattle.io -A lists them", err)
		}
		return nil, nil, APIError("read the Rancher cluster "+r.Ref(), c.Server, UnwrapAPI(err))
	}
	if len(s.Machines) == 0 {
		return nil, nil, fmt.Errorf("cluster %s has no CAPI Machines (label %s=%s): it is not a provisioned (v2) cluster, or it has no nodes yet", r.Ref(), rancher.LabelMachineCluster, r.Name)
	}
	return s, c, nil
}

// ReadImported reads the imported cluster detect found, with its management Nodes.
func (r *RancherFlags) ReadImported(ctx context.Context, env *Env) (*rancher.ImportedState, *Clients, error) {
	c, err := env.Clients()
	if err != nil {
		return nil, nil, err
	}
	s, err := rancher.ReadImported(ctx, c.Dynamic, r.imported)
	if err != nil {
		var nf *rancher.NotFoundError
		if errors.As(err, &nf) {
			return nil, nil, fmt.Errorf("%v; kubectl get clusters.management.cattle.io lists them", err)
		}
		return nil, nil, APIError("read the Rancher cluster "+r.imported, c.Server, UnwrapAPI(err))
	}
	if len(s.Nodes) == 0 {
		return nil, nil, fmt.Errorf("imported cluster %s has no management.cattle.io Nodes in namespace %s: Rancher has not seen its nodes yet (is its cattle-cluster-agent connected?)", r.imported, r.imported)
	}
	return s, c, nil
}

func AppliedOf(s *rancher.State) string {
	if s.ControlPlane == nil || s.ControlPlane.AppliedVersion == "" {
		return "-"
	}
	return s.ControlPlane.AppliedVersion
}
