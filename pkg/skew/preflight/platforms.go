package preflight

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// checkPlatforms names the nodes no upgrade image can upgrade (Windows, other
// architectures), which the run leaves to be upgraded by hand; with a mirror image,
// the Linux ones are upgraded, on the promise that the mirror has their image.
func checkPlatforms(v verdicts, f *Facts, o Options) {
	var manual, mirrored []string
	if f.Path != nil {
		for _, m := range f.Path.Manual {
			manual = append(manual, fmt.Sprintf("%s (%s/%s, %s)", m.Name, m.OS, m.Arch, m.From))
		}
	}
	if o.CustomImage {
		for _, n := range f.Inventory.Nodes {
			if upgradepath.ManualReason(f.Inventory.Distro, n, false) != "" && upgradepath.ManualReason(f.Inventory.Distro, n, true) == "" {
				mirrored = append(mirrored, fmt.Sprintf("%s (%s)", n.Name, n.Arch))
			}
		}
	}
	var warns []string
	if len(manual) > 0 {
		warns = append(warns, fmt.Sprintf("%s no upgrade image: %s; no Plan selects them, and each hop says the version they need (SKEW701)",
			text.PluralVerb(len(manual), "node has", "nodes have"), text.Sample(manual, 5)))
	}
	if len(mirrored) > 0 {
		warns = append(warns, fmt.Sprintf("upstream has no upgrade image for %s; they are upgraded with --upgrade-image, which must provide one",
			text.Sample(mirrored, 5)))
	}
	if len(warns) == 0 {
		v.add(CheckPlatforms, Pass, "an upgrade image exists for every node's platform", "")
		return
	}
	v.add(CheckPlatforms, Warn, strings.Join(warns, "; "),
		"upgrade the nodes without an image by hand (kubectl skew plan -o wide shows the version each hop needs); check that the mirror has the other architectures")
}
