package install

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// IsNixOS reports whether a kubelet's osImage is NixOS's. The kubelet reports the
// PRETTY_NAME of /etc/os-release, which NixOS writes as "NixOS <release>
// (<codename>)", such as "NixOS 25.05 (Warbler)". A derivative that renames the
// distribution (system.nixos.distroName) is not recognised: the cluster does not
// tell it apart from any other Linux.
func IsNixOS(osImage string) bool {
	s := strings.TrimSpace(osImage)
	if len(s) < len("NixOS") || !strings.EqualFold(s[:len("NixOS")], "NixOS") {
		return false
	}
	rest := s[len("NixOS"):]
	return rest == "" || rest[0] == ' '
}

// NixpkgsAttribute is the nixpkgs attribute of the distro's package for a minor:
// nixpkgs keeps one package per supported minor (k3s_1_33, rke2_1_33) next to the
// unversioned k3s and rke2 (and rke2_stable, rke2_latest), which move with
// nixpkgs. It is empty for a distribution nixpkgs does not package this way.
func NixpkgsAttribute(d version.Distro, minor version.MinorVersion) string {
	if !d.IsRancherDistro() {
		return ""
	}
	return fmt.Sprintf("%s_%d_%d", SpecOf(d).Bin, minor.Major, minor.Minor)
}

// NixOSSteps is how a NixOS node moves to v's minor: its NixOS configuration names
// the package, so the machine changes when the configuration does and
// nixos-rebuild switches it (the upgrade images of the system-upgrade-controller
// cannot: the binary is in the read-only Nix store). The steps assume a flake whose
// nixosConfigurations holds the machine under its hostname and an SSH login as
// root on it; nixos-rebuild restarts the service because its unit names the new
// package. nixpkgs builds one release per minor, whichever patch its revision
// carries (pkgs/applications/networking/cluster/k3s/1_33/versions.nix): the
// machine gets exactly v only from a nixpkgs revision that carries v, and the
// steps check which release it would get before switching.
func NixOSSteps(d version.Distro, v version.Version, node, hostname string) []string {
	s := SpecOf(d)
	attr := NixpkgsAttribute(d, v.MinorVersion())
	option := "services." + s.Bin + ".package"
	if hostname == "" {
		hostname = node
	}
	return []string{
		fmt.Sprintf("# Node %s runs NixOS: %s comes from nixpkgs there, and the machine moves when its configuration does.", Quote(printable(node)), d.Name()),
		fmt.Sprintf("# 1. In the NixOS configuration of %s, set the package to the %s minor:", Quote(printable(hostname)), v.MinorString()),
		fmt.Sprintf("#      %s = pkgs.%s;", option, attr),
		fmt.Sprintf("#    nixpkgs builds one %s release per minor, the patch its revision carries, which may not be %s;", d.Name(), v),
		"#    to get exactly that release, update or pin nixpkgs to a revision that carries it.",
		"# 2. Check the release the machine would get (it assumes a flake whose nixosConfigurations names the machine by its hostname):",
		"nix eval --raw " + Quote(".#nixosConfigurations."+nixString(hostname)+".config."+option+".version"),
		"# 3. Build it and switch the machine (as root over SSH; for a sudoer, add --sudo, or --use-remote-sudo with the older nixos-rebuild), servers one at a time, then agents:",
		"nixos-rebuild switch --flake " + Quote(".#"+hostname) + " --target-host " + Quote("root@"+hostname),
	}
}

// nixString writes s as a Nix string for an attribute path (a hostname may hold
// dots, which would otherwise split the path).
func nixString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "${", `\${`).Replace(s) + `"`
}

// RunsNixOS reports whether any node of inv runs NixOS.
func RunsNixOS(inv *cluster.Inventory) bool {
	for _, n := range inv.Nodes {
		if IsNixOS(n.OSImage) {
			return true
		}
	}
	return false
}
