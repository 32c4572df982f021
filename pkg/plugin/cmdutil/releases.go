package cmdutil

import (
	"context"
	"os"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
)

// AddReleaseDataFlag adds --release-data, defaulting to $KUBECTL_SKEW_RELEASE_DATA.
func AddReleaseDataFlag(cmd *cobra.Command, into *string) {
	cmd.Flags().StringVar(into, "release-data", os.Getenv(release.EnvVar),
		"Release data (what each K3s/RKE2 release ships) from a file or an https URL instead of the table built in (docs/releases.md); also $"+release.EnvVar)
}

// LoadReleaseData reads --release-data: the embedded table when empty, else the file
// or URL, bounded in size and time like the channel list.
func LoadReleaseData(ctx context.Context, spec string) (*release.Index, error) {
	return release.Load(ctx, spec, fetchReleaseData)
}

func fetchReleaseData(ctx context.Context, url string, maxBytes int64) ([]byte, error) {
	c, err := channel.New(channel.Options{URL: url, MaxBytes: maxBytes, Document: "release data", Flag: "--release-data",
		UserAgent: "kubectl-skew/" + BuildVersion})
	if err != nil {
		return nil, err
	}
	return c.Get(ctx)
}

// LoadReleases reads the release data the hazards and the planner use, once.
func (h *HazardFlags) LoadReleases(ctx context.Context) error {
	if h.Releases != nil {
		return nil
	}
	x, err := LoadReleaseData(ctx, h.ReleaseData)
	if err != nil {
		return err
	}
	h.Releases = x
	return nil
}
