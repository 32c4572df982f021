package install

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// Kind is a way K3s or RKE2 gets onto a host.
type Kind string

const (
	// Script is the install script (get.k3s.io, get.rke2.io), which fetches the
	// release itself; RKE2's script installs from RPMs on some distributions.
	Script Kind = "script"
	// Airgap is the release's artifacts copied onto a host that cannot fetch them.
	Airgap Kind = "airgap"
	// NixOS is the distro's package in the machine's NixOS configuration.
	NixOS Kind = "nixos"
	// Unknown is a host this package has no install steps for (Windows).
	Unknown Kind = "unknown"
)

// Guess is how a node looks installed, judged from what the cluster shows of it.
type Guess struct {
	// Kind is the way the node looks installed.
	Kind Kind `json:"kind"`
	// Also are ways the cluster cannot tell apart from Kind, to offer beside it: a
	// node installed from airgap artifacts reports nothing that says so.
	Also []Kind `json:"also,omitempty"`
	// Why is what the guess rests on, for the operator.
	Why string `json:"why"`
}

// Method guesses how the node was installed from its kubelet's report: NixOS from
// the osImage; otherwise the install script, with airgap artifacts beside it,
// since the cluster cannot tell whether the host can download.
func Method(node *corev1.Node) Guess {
	if node == nil {
		return Guess{Kind: Unknown, Why: "no node"}
	}
	info := node.Status.NodeInfo
	switch {
	case IsNixOS(info.OSImage):
		return Guess{Kind: NixOS, Why: fmt.Sprintf("its kubelet reports osImage %q", printable(info.OSImage))}
	case info.OperatingSystem != "" && info.OperatingSystem != "linux":
		return Guess{Kind: Unknown, Why: fmt.Sprintf("it runs %s, for which only the distro's own documentation has the steps", printable(info.OperatingSystem))}
	}
	why := "the install script is how K3s and RKE2 are installed on Linux"
	if info.OSImage != "" {
		why = fmt.Sprintf("its kubelet reports osImage %q, and %s", printable(info.OSImage), why)
	}
	return Guess{Kind: Script, Also: []Kind{Airgap}, Why: why + "; whether the host can download is not something the cluster shows, so the airgap steps are offered too"}
}
