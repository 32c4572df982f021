package preflight

import (
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
)

// checkNixOS refuses the system-upgrade-controller where a node to upgrade runs
// NixOS. The upgrade image (rancher/k3s-upgrade, rancher/rke2-upgrade) finds the
// binary from the running process's command line and copies the new release over
// it; on NixOS that binary is in the Nix store, which is mounted read-only, so the
// Job fails on the node, and the machine's configuration still names the old
// package for the next nixos-rebuild. Such a node moves with its configuration.
//
// The check is always in the report, as a pass on every cluster without a NixOS
// node: the PREFLIGHT table is printed whole and no golden file holds it.
func checkNixOS(v verdicts, f *Facts) {
	targets := pathNodes(f.Path)
	var nixos []string
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if targets != nil && !targets[n.Name] {
			continue
		}
		if install.IsNixOS(n.Status.NodeInfo.OSImage) {
			nixos = append(nixos, fmt.Sprintf("%s (%s)", n.Name, n.Status.NodeInfo.OSImage))
		}
	}
	if len(nixos) == 0 {
		v.add(CheckNixOS, Pass, "no node to upgrade runs NixOS", "")
		return
	}
	spec := install.SpecOf(f.Inventory.Distro)
	// The first hop's attribute, so that the fix reads as the line to write.
	pkg := "pkgs." + spec.Bin + "_1_NN for each hop's minor"
	if f.Path != nil && len(f.Path.Hops) > 0 {
		pkg = "pkgs." + install.NixpkgsAttribute(f.Inventory.Distro, f.Path.Hops[0].To.MinorVersion()) + " for hop 1, the next minor's for each hop after"
	}
	them := "them"
	if len(nixos) == 1 {
		them = "it"
	}
	v.add(CheckNixOS, Fail,
		fmt.Sprintf("%s NixOS: %s; the system-upgrade-controller cannot upgrade %s: its upgrade image copies the new %s binary over the one the running process was started from, which on NixOS is in the read-only Nix store (and the machine's configuration would bring the old package back on the next nixos-rebuild)",
			text.PluralVerb(len(nixos), "node to upgrade runs", "nodes to upgrade run"), text.Sample(nixos, 5), them, spec.Bin),
		fmt.Sprintf("upgrade %s through the NixOS configuration (services.%s.package = %s, then nixos-rebuild switch): kubectl skew upgrade --driver command --command './nixos-node.sh' runs your own deploy per node, servers first, one at a time (docs/recipes.md), or kubectl skew upgrade --driver manual prints each node's step and waits for it",
			them, spec.Bin, pkg))
}
