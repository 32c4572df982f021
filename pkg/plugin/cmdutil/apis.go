package cmdutil

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// APIFlags choose and bound the removed-API scan that check --target, plan and
// upgrade run: Helm releases, applied objects, /metrics, and -f manifests.
type APIFlags struct {
	Files          []string
	MaxReleaseSize string
	ScanCluster    bool

	maxBytes int64
	Scan     *deprecation.Scan
}

func (a *APIFlags) AddFlags(cmd *cobra.Command) {
	a.MaxReleaseSize, a.ScanCluster = "32Mi", true
	f := cmd.Flags()
	f.StringSliceVarP(&a.Files, "filename", "f", nil, "Also check these manifests for removed APIs: files, directories (recursively) or - for stdin; YAML or JSON")
	f.StringVar(&a.MaxReleaseSize, "max-release-size", a.MaxReleaseSize, "A Helm release larger than this, stored or decompressed, is reported instead of read")
	f.BoolVar(&a.ScanCluster, "scan-apis", a.ScanCluster, "Scan the cluster's Helm releases, applied objects and /metrics for APIs the target removes")
}

// Complete parses the size and reads the -f manifests, before anything touches the cluster.
func (a *APIFlags) Complete(stdin io.Reader) error {
	q, err := resource.ParseQuantity(a.MaxReleaseSize)
	if err != nil || q.Value() <= 0 {
		return fmt.Errorf("--max-release-size %q: use a size such as 32Mi", a.MaxReleaseSize)
	}
	a.maxBytes = q.Value()
	if len(a.Files) > 0 {
		if a.Scan, err = deprecation.ReadFiles(a.Files, stdin); err != nil {
			return err
		}
	}
	return nil
}

// scan reads the cluster's sources (unless --scan-apis=false) and adds the files.
func (a *APIFlags) scan(ctx context.Context, c *Clients) (*deprecation.Scan, error) {
	s := &deprecation.Scan{}
	if a.ScanCluster {
		src := deprecation.ClusterSource{Kube: c.Kube, Discovery: c.Discovery, Metrics: metricsFetcher(c)}
		if c.Config != nil {
			// One list per resource kind, eight at a time: client-go's default of five
			// requests a second would make the scan wait on itself.
			cfg := rest.CopyConfig(c.Config)
			cfg.QPS, cfg.Burst = 50, 100
			m, err := metadata.NewForConfig(cfg)
			if err != nil {
				return nil, fmt.Errorf("metadata client: %w", err)
			}
			src.Metadata = m
		}
		read, err := deprecation.Read(ctx, src, deprecation.ReadOptions{MaxReleaseBytes: a.maxBytes})
		if err != nil {
			return nil, err
		}
		s = read
	}
	if a.Scan != nil {
		s.Add(a.Scan)
	}
	return s, nil
}

// Enabled says whether there is anything to scan.
func (a *APIFlags) Enabled() bool { return a.ScanCluster || a.Scan != nil }

// Scanner is the scan as the library's Config takes it; nil when there is nothing to scan.
func (a *APIFlags) Scanner(c *Clients) func(context.Context) (*deprecation.Scan, error) {
	if !a.Enabled() {
		return nil
	}
	return func(ctx context.Context) (*deprecation.Scan, error) { return a.scan(ctx, c) }
}

// apiJudgement is the removed-API scan's outcome for one command.
type apiJudgement struct {
	Verdicts []deprecation.Verdict
	Summary  *report.APIScan
	// Skipped are the sources that could not be read, to print as warnings.
	Skipped []cluster.Skipped
}

// JudgeAPIs scans and judges the hops from the control plane's minor.
func (a *APIFlags) JudgeAPIs(ctx context.Context, c *Clients, inv *cluster.Inventory, hops []deprecation.Hop) (*apiJudgement, error) {
	from, ok := ControlPlaneMinor(inv)
	if !ok {
		return &apiJudgement{Skipped: []cluster.Skipped{{What: "the removed-API scan", Reason: "the control plane's version is unknown"}}}, nil
	}
	s, err := a.scan(ctx, c)
	if err != nil {
		return nil, err
	}
	j := &apiJudgement{}
	for _, sk := range s.Skipped {
		j.Skipped = append(j.Skipped, cluster.Skipped{What: sk.What, Reason: sk.Reason})
	}
	j.Summary = &report.APIScan{From: from.String(), Hops: []string{}, Releases: s.Releases, Objects: s.Objects, Files: s.Files, Metrics: s.Metrics != nil, Scanned: s.Summary()}
	for _, h := range hops {
		j.Summary.Hops = append(j.Summary.Hops, h.Minor.String())
	}
	j.Verdicts = deprecation.Judge(s, from, hops)
	return j, nil
}

// ControlPlaneMinor is the oldest kube-apiserver's minor: the APIs served today.
func ControlPlaneMinor(inv *cluster.Inventory) (version.MinorVersion, bool) {
	vs := inv.APIServerVersions()
	if len(vs) == 0 {
		return version.MinorVersion{}, false
	}
	lo := vs[0]
	for _, v := range vs[1:] {
		if v.Compare(lo) < 0 {
			lo = v
		}
	}
	return lo.MinorVersion(), true
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
