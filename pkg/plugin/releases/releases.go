// Package releases is "kubectl skew releases": K3s and RKE2 releases and the versions
// of the components each one ships, from the release data.
package releases

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// ReleasesOptions holds "kubectl skew releases".
type ReleasesOptions struct {
	env         *cmdutil.Env
	out         *cmdutil.OutputFlags
	releaseData string

	Distro  string
	Minor   string
	Release string

	// distro, minor and release are the flags parsed by Complete; nil when not given.
	distro  *version.Distro
	minor   *version.MinorVersion
	release *version.Version
}

// NewCmdReleases builds "kubectl skew releases".
func NewCmdReleases(env *cmdutil.Env) *cobra.Command {
	o := &ReleasesOptions{env: env, out: cmdutil.NewOutputFlags(false, cmdutil.FormatWide)}
	cmd := &cobra.Command{
		Use:   "releases",
		Short: "List K3s and RKE2 releases with the versions of the components each one ships",
		Long: `Releases lists the K3s and RKE2 releases that the release data knows, with the
version of each component they bundle: etcd, containerd, Traefik and ingress-nginx,
and with -o wide every other component and where the row was read. Each distribution
is listed oldest release first.

The data is generated from the K3s and RKE2 release-notes files (docs/releases.md)
and built into the plugin; --release-data (or $KUBECTL_SKEW_RELEASE_DATA) reads newer
data from a file or an https URL without a new plugin. It needs no cluster.

"kubectl skew plan" shows, for each hop, what changes between the releases it
installs; the hop hazards (etcd, Traefik, containerd, ingress-nginx) are judged from
this data.

Exit codes: 0 listed (also when nothing matches the filters), 1 error, including a
--release that the data does not know.`,
		Example: `  # Every release of both distributions
  kubectl skew releases

  # The K3s v1.33 releases with every bundled component
  kubectl skew releases --distro k3s --minor v1.33 -o wide

  # The etcd of one release, for a script
  kubectl skew releases --release v1.33.7+k3s3 -o jsonpath='{.items[0].components.etcd}'

  # Newer release data than the plugin's own
  kubectl skew releases --release-data https://mirror.example/releases.json`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunOptions(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.Distro, "distro", "", "List the releases of one distribution only: k3s or rke2")
	f.StringVar(&o.Minor, "minor", "", "List the releases of one Kubernetes minor only, such as v1.33")
	f.StringVar(&o.Release, "release", "", "Show one release, such as v1.33.7+k3s3 or v1.33.7+rke2r1; exit 1 when the data does not know it")
	_ = cmd.RegisterFlagCompletionFunc("distro", cmdutil.FixedCompletion("k3s", "rke2"))
	cmdutil.AddReleaseDataFlag(cmd, &o.releaseData)
	o.out.AddFlags(cmd)
	return cmd
}

// Complete parses --distro, --minor and --release.
func (o *ReleasesOptions) Complete() error {
	if s := strings.TrimSpace(o.Distro); s != "" {
		d, err := version.ParseDistro(s)
		if err != nil || !d.IsRancherDistro() {
			return fmt.Errorf("--distro %q: use k3s or rke2", o.Distro)
		}
		o.distro = &d
	}
	if s := strings.TrimSpace(o.Minor); s != "" {
		m, err := version.ParseMinor(s)
		if err != nil {
			return fmt.Errorf("--minor %q is not a Kubernetes minor; give one such as v1.33", o.Minor)
		}
		o.minor = &m
	}
	if s := strings.TrimSpace(o.Release); s != "" {
		v, err := version.Parse(s)
		if err != nil || !v.Distro.IsRancherDistro() {
			return fmt.Errorf("--release %q is not a K3s or RKE2 release; give one such as v1.33.7+k3s3 or v1.33.7+rke2r1", o.Release)
		}
		o.release = &v
	}
	return nil
}

// Validate checks that the filters agree with each other, and -o.
func (o *ReleasesOptions) Validate() error {
	if v := o.release; v != nil {
		if o.distro != nil && *o.distro != v.Distro {
			return fmt.Errorf("--release %s is a %s release and --distro asks for %s: give one or the other", v, v.Distro.Name(), o.distro.Name())
		}
		if o.minor != nil && *o.minor != v.MinorVersion() {
			return fmt.Errorf("--release %s is of %s and --minor asks for %s: give one or the other", v, v.MinorString(), o.minor)
		}
	}
	return o.out.Validate()
}

// Run reads the release data and prints the releases that match the filters.
func (o *ReleasesOptions) Run(ctx context.Context) error {
	x, err := cmdutil.LoadReleaseData(ctx, o.releaseData)
	if err != nil {
		return err
	}
	var list []*release.Release
	if o.release != nil {
		rel, ok := x.Lookup(*o.release)
		if !ok {
			return unknownRelease(x, *o.release)
		}
		list = []*release.Release{rel}
	} else {
		for _, d := range o.distros() {
			list = append(list, x.Releases(d)...)
		}
	}
	r := o.report(x.Origin, list)
	return cmdutil.PrintReport(o.env, o.out, r, func(w io.Writer, r *report.ReleaseList, opts table.Options) error {
		return table.WriteReleases(w, r, x, opts)
	})
}

// report lists the releases of list that match the filters; list is by distribution,
// oldest first, as the Index gives it.
func (o *ReleasesOptions) report(origin string, list []*release.Release) *report.ReleaseList {
	r := report.NewReleaseList()
	r.Origin = origin
	if o.distro != nil {
		r.Filters.Distro = string(*o.distro)
	}
	if o.minor != nil {
		r.Filters.Minor = o.minor.String()
	}
	if o.release != nil {
		r.Filters.Release = o.release.String()
	}
	newest := map[version.Distro]*release.Release{}
	for _, rel := range list {
		if o.minor != nil && rel.Version.MinorVersion() != *o.minor {
			continue
		}
		r.Items = append(r.Items, item(rel))
		newest[rel.Version.Distro] = rel
	}
	for _, d := range release.Distros {
		if n := newest[d]; n != nil {
			r.Newest = append(r.Newest, report.ReleaseRef{Distro: string(d), Version: n.Version.String(), Date: n.Date})
		}
	}
	return r
}

// distros are the distributions to list: --distro's, or both.
func (o *ReleasesOptions) distros() []version.Distro {
	if o.distro != nil {
		return []version.Distro{*o.distro}
	}
	return release.Distros
}

// unknownRelease is the error for a --release the data does not know: never an empty
// answer, since nothing can be said of what it ships.
func unknownRelease(x *release.Index, v version.Version) error {
	get := "for other release data"
	if newest := x.Newest(v.Distro); newest == nil || v.Compare(newest.Version) > 0 {
		get = "for newer release data"
	}
	return fmt.Errorf("--release: %s; %s give --release-data FILE|URL or set $%s (docs/releases.md)", x.Unknown(v), get, release.EnvVar)
}

func item(r *release.Release) report.ReleaseItem {
	components := make(map[string]string, len(r.Components))
	for k, v := range r.Components {
		components[k] = v
	}
	return report.ReleaseItem{
		Distro: string(r.Version.Distro), Version: r.Version.String(), Minor: r.Version.MinorString(),
		Date: r.Date, Components: components, Source: r.Source,
	}
}
