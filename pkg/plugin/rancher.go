package plugin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// rancherFlags select Rancher mode: the current context is Rancher's management
// cluster, and --rancher-cluster names the provisioned cluster to work on.
type rancherFlags struct {
	Cluster         string
	namespace, name string
	// imported is the management Cluster (c-m-…) of an imported K3s/RKE2 cluster
	// that Cluster names, once detect found one.
	imported string
}

// defaultRancherNamespace is where Rancher keeps downstream provisioning Clusters.
const defaultRancherNamespace = "fleet-default"

func (r *rancherFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.Cluster, "rancher-cluster", "", "Work on a Rancher cluster through the Rancher management cluster of the current context: an imported K3s/RKE2 cluster by its Cluster name (c-m-…) or display name, or a provisioned one by NAMESPACE/NAME of its provisioning.cattle.io Cluster (NAME alone means fleet-default/NAME)")
}

// Complete splits NAMESPACE/NAME.
func (r *rancherFlags) Complete() error {
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
	r.namespace, r.name = ns, name
	return nil
}

func (r *rancherFlags) enabled() bool { return r.name != "" }

// withoutFiles refuses -f in Rancher mode: the removed-API scan needs the downstream
// cluster's own apiserver, and a flag silently ignored would read as a clean result.
func (r *rancherFlags) withoutFiles(a *apiFlags) error {
	if r.enabled() && len(a.Files) > 0 {
		return fmt.Errorf("--rancher-cluster works from Rancher's objects: -f needs the downstream cluster's own kubeconfig (run the command against it instead)")
	}
	return nil
}

func (r *rancherFlags) ref() string {
	if r.imported != "" {
		return r.imported
	}
	return r.namespace + "/" + r.name
}

// detect finds out whether --rancher-cluster names an imported K3s/RKE2 cluster: a
// name without a namespace that is a management Cluster's name or display name. A
// provisioned cluster keeps its own path.
func (r *rancherFlags) detect(ctx context.Context, env *Env) (bool, error) {
	if strings.Contains(r.Cluster, "/") {
		return false, nil
	}
	c, err := env.Clients()
	if err != nil {
		return false, err
	}
	if served, derr := cluster.Served(c.Discovery, rancher.ManagementClusterResource); derr != nil || !served || c.Dynamic == nil {
		return false, nil
	}
	name, err := rancher.FindImported(ctx, c.Dynamic, r.Cluster)
	if err != nil {
		var amb *rancher.AmbiguousError
		if errors.As(err, &amb) {
			return false, err
		}
		return false, apiError("look up the Rancher cluster "+r.Cluster, c.Server, unwrapAPI(err))
	}
	r.imported = name
	return name != "", nil
}

// read reads the provisioned cluster from the management cluster.
func (r *rancherFlags) read(ctx context.Context, env *Env) (*rancher.State, *Clients, error) {
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
	s, err := rancher.Read(ctx, c.Dynamic, r.namespace, r.name)
	if err != nil {
		var nf *rancher.NotFoundError
		if errors.As(err, &nf) {
			return nil, nil, fmt.Errorf("%v; kubectl get clusters.provisioning.cattle.io -A lists them", err)
		}
		return nil, nil, apiError("read the Rancher cluster "+r.ref(), c.Server, unwrapAPI(err))
	}
	if len(s.Machines) == 0 {
		return nil, nil, fmt.Errorf("cluster %s has no CAPI Machines (label %s=%s): it is not a provisioned (v2) cluster, or it has no nodes yet", r.ref(), rancher.LabelMachineCluster, r.name)
	}
	return s, c, nil
}

// runRancher checks a provisioned cluster from its Machines, and the target against
// the versions this Rancher supports.
func (o *CheckOptions) runRancher(ctx context.Context) error {
	if imported, err := o.rancher.detect(ctx, o.env); err != nil || imported {
		if err != nil {
			return err
		}
		return o.runImported(ctx)
	}
	s, _, err := o.rancher.read(ctx, o.env)
	if err != nil {
		return err
	}
	return o.printRancherCheck(s.Inventory(), s.Settings, "rancher:"+o.rancher.ref())
}

// printRancherCheck judges a Rancher cluster's inventory, and a target against the
// versions this Rancher supports, then prints the report under the given context.
func (o *CheckOptions) printRancherCheck(inv *cluster.Inventory, settings rancher.Settings, context string) error {
	findings := policy.Evaluate(inv, policy.Options{Target: o.target})
	if o.target != nil {
		findings = append(findings, settings.Findings(o.target.Version)...)
		policy.Sort(findings)
	}
	r := report.Check(inv, findings, o.failOn, o.Target)
	r.Context = context
	if err := o.print(r); err != nil {
		return err
	}
	if r.Summary.Failed {
		return &findingsError{count: policy.Count(r.Findings, o.failOn)}
	}
	return nil
}
