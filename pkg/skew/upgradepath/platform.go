package upgradepath

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// imageArchs are the Linux architectures the upgrade images are built for:
// rancher/k3s-upgrade for amd64, arm64 and arm, rancher/rke2-upgrade for amd64 and
// arm64 (docs/domain.md). Neither has a Windows image.
var imageArchs = map[version.Distro][]string{
	version.K3s:  {"amd64", "arm64", "arm"},
	version.RKE2: {"amd64", "arm64"},
}

// ManualReason says why the system-upgrade-controller cannot upgrade node n of a
// distro-d cluster, or "" when it can. A Windows node has no upgrade image at all;
// a Linux node on another architecture has none upstream, which a mirror
// (customImage) may have built: then it is upgraded like the others.
func ManualReason(d version.Distro, n cluster.Node, customImage bool) string {
	if strings.EqualFold(n.OS, "windows") {
		return "a Windows node: no upgrade image exists for Windows, and the system-upgrade-controller refuses Plans that select one"
	}
	archs := imageArchs[d]
	if n.Arch == "" || customImage || len(archs) == 0 || slices.Contains(archs, n.Arch) {
		return ""
	}
	return fmt.Sprintf("an %s node: %s is built for %s only", n.Arch, upgradeImageName(d), strings.Join(archs, ", "))
}

func upgradeImageName(d version.Distro) string {
	if d == version.RKE2 {
		return "rancher/rke2-upgrade"
	}
	return "rancher/k3s-upgrade"
}

// ManualNode is a node the path does not upgrade: no image can (Windows, another
// architecture), or the operator left it out (Excluded). It stays where it is, and
// each hop says the version it needs to stay within the skew policy.
type ManualNode struct {
	Name     string
	Role     cluster.Role
	OS       string
	Arch     string
	From     version.Version
	Reason   string
	Excluded bool
}

// leftOut says why the operator left node n out of the upgrade, or "": the exclude
// label, on any node, or an agent outside the request's node selector.
func leftOut(req Request, n cluster.Node) string {
	if n.Labels[cluster.LabelExclude] == "true" {
		return "labelled " + cluster.LabelExclude + "=true"
	}
	if !n.Role.IsServer() && req.NodeSelector != nil && !req.NodeSelector.Matches(labels.Set(n.Labels)) {
		return "left out by --node-selector " + req.NodeSelector.String()
	}
	return ""
}

// ManualStep is what a hop needs of a node upgraded by hand: at least Needs before
// the hop's servers move, and To to keep up with them afterwards.
type ManualStep struct {
	Name  string
	From  version.Version
	Needs version.MinorVersion
	To    version.Version
	// Behind is true when the node is older than Needs: the hop is blocked until it is
	// upgraded by hand.
	Behind bool
}
