package cmdutil

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
)

// APIFlags choose and bound the removed-API scan that check --target, plan and
// upgrade run: Helm releases, applied objects, /metrics, and -f manifests.
type APIFlags struct {
	// APIs is where the flags bind: the command's judge.Config.APIs, pointed at before
	// AddFlags, so that nothing is copied from one to the other. AddFlags gives a
	// command that keeps no judge.Config settings of its own.
	*judge.APIs
	// Files and MaxReleaseSize are -f and --max-release-size as given; Complete reads
	// the one and parses the other into APIs.
	Files          []string
	MaxReleaseSize string
}

func (a *APIFlags) AddFlags(cmd *cobra.Command) {
	if a.APIs == nil {
		a.APIs = &judge.APIs{}
	}
	a.MaxReleaseSize = "32Mi"
	f := cmd.Flags()
	f.StringSliceVarP(&a.Files, "filename", "f", nil, "Also check these manifests for removed APIs: files, directories (recursively) or - for stdin; YAML or JSON")
	f.StringVar(&a.MaxReleaseSize, "max-release-size", a.MaxReleaseSize, "A Helm release larger than this, stored or decompressed, is reported instead of read")
	f.BoolVar(&a.Cluster, "scan-apis", true, "Scan the cluster's Helm releases, applied objects and /metrics for APIs the target removes")
}

// Complete parses the size and reads the -f manifests, before anything touches the cluster.
func (a *APIFlags) Complete(stdin io.Reader) error {
	q, err := resource.ParseQuantity(a.MaxReleaseSize)
	if err != nil || q.Value() <= 0 {
		return fmt.Errorf("--max-release-size %q: use a size such as 32Mi", a.MaxReleaseSize)
	}
	a.MaxReleaseBytes = q.Value()
	if len(a.Files) > 0 {
		if a.Manifests, err = deprecation.ReadFiles(a.Files, stdin); err != nil {
			return err
		}
	}
	return nil
}

// Scanner is the scan as the library takes it, reading through c; nil when there is
// nothing to scan.
func (a *APIFlags) Scanner(c *Clients) func(context.Context) (*deprecation.Scan, error) {
	if !a.Enabled() {
		return nil
	}
	return func(ctx context.Context) (*deprecation.Scan, error) {
		var src deprecation.ClusterSource
		if a.Cluster {
			var err error
			if src, err = apiSource(c); err != nil {
				return nil, err
			}
		}
		return judge.ScanAPIs(ctx, src, *a.APIs)
	}
}

// apiSource is where the scan reads the cluster through c. Its metadata client has a
// request budget of its own: the scan lists every resource kind, eight at a time.
func apiSource(c *Clients) (deprecation.ClusterSource, error) {
	src := deprecation.ClusterSource{Kube: c.Kube, Discovery: c.Discovery, Metrics: metricsFetcher(c)}
	if c.Config == nil {
		return src, nil // fake clients: no metadata client, so the applied objects are skipped
	}
	d, err := c.Derived(OwnBudget)
	if err != nil {
		return src, err
	}
	if src.Metadata, err = metadata.NewForConfig(d.Config); err != nil {
		return src, fmt.Errorf("metadata client: %w", err)
	}
	return src, nil
}

// metricsFetcher reads the apiserver's /metrics in the Prometheus text format.
func metricsFetcher(c *Clients) func(context.Context) ([]byte, error) {
	if c.Config == nil {
		return nil
	}
	return func(ctx context.Context) ([]byte, error) {
		dc, err := discovery.NewDiscoveryClientForConfig(c.Config)
		if err != nil {
			return nil, err
		}
		return dc.RESTClient().Get().AbsPath("/metrics").SetHeader("Accept", "text/plain;version=0.0.4").DoRaw(ctx)
	}
}
