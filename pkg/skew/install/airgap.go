package install

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Release pages the artifacts of a release are downloaded from.
const (
	K3sReleases  = "https://github.com/k3s-io/k3s/releases"
	RKE2Releases = "https://github.com/rancher/rke2/releases"
)

// artifacts are the file names of a release for one architecture: what runs the
// node (K3s's binary, RKE2's tarball of the binary and its scripts), its images,
// and the checksums of both.
type artifacts struct{ program, images, sums string }

// artifactsOf names the release assets of the architecture (a node's
// status.nodeInfo.architecture, which is Go's name for it), as the K3s install
// script names them (k3s, k3s-arm64, k3s-armhf; sha256sum-<arch>.txt) and as RKE2
// publishes them (rke2.linux-<arch>.tar.gz, rke2-images.linux-<arch>.tar.zst). ok is
// false for an architecture the distro publishes nothing for that is known here.
func artifactsOf(d version.Distro, arch string) (artifacts, bool) {
	switch arch {
	case "x86_64":
		arch = "amd64"
	case "aarch64":
		arch = "arm64"
	}
	if d == version.RKE2 {
		if arch != "amd64" && arch != "arm64" {
			return artifacts{}, false
		}
		return artifacts{program: "rke2.linux-" + arch + ".tar.gz", images: "rke2-images.linux-" + arch + ".tar.zst", sums: "sha256sum-" + arch + ".txt"}, true
	}
	suffix := map[string]string{"amd64": "", "arm64": "-arm64", "arm": "-armhf", "s390x": "-s390x"}
	s, ok := suffix[arch]
	if !ok {
		return artifacts{}, false
	}
	return artifacts{program: "k3s" + s, images: "k3s-airgap-images-" + arch + ".tar.zst", sums: "sha256sum-" + arch + ".txt"}, true
}

// ReleasePage is the distro's page of release v.
func ReleasePage(d version.Distro, v version.Version) string {
	return releases(d) + "/tag/" + escapeTag(v)
}

func releases(d version.Distro) string {
	if d == version.RKE2 {
		return RKE2Releases
	}
	return K3sReleases
}

// escapeTag writes the release tag as the download URLs do: the "+" of the build
// metadata as %2B.
func escapeTag(v version.Version) string { return strings.ReplaceAll(v.String(), "+", "%2B") }

// AirgapSteps is the manual upgrade of a node of the role to v where the node
// cannot download anything, as K3s and RKE2 document it for air-gapped sites: the
// release's artifacts fetched elsewhere and checked, the new images in place of the
// old ones in the agent's images directory (imported when the service starts), the
// new binary, a restart. arch is the node's status.nodeInfo.architecture. The lines
// are comments and commands, in order; the commands after step 2 run on the node,
// as root.
func AirgapSteps(d version.Distro, v version.Version, server bool, arch string) []string {
	s := SpecOf(d)
	a, ok := artifactsOf(d, arch)
	if !ok {
		return []string{fmt.Sprintf("# %s publishes no release artifacts known here for architecture %s: see %s", d.Name(), Quote(printable(arch)), ReleasePage(d, v))}
	}
	base := releases(d) + "/download/" + escapeTag(v) + "/"
	images := "/var/lib/rancher/" + s.Bin + "/agent/images"
	what := "binary"
	if d == version.RKE2 {
		what = "tarball"
	}
	out := []string{
		fmt.Sprintf("# Airgap upgrade of this %s %s to %s (linux/%s): the release's images and %s, then a restart.", d.Name(), role(server), v, arch, what),
		"# 1. On a machine that reaches github.com, download the release's artifacts and check them:",
	}
	for _, f := range []string{a.program, a.images, a.sums} {
		out = append(out, "curl -fLO "+Quote(base+f))
	}
	out = append(out,
		"sha256sum --check --ignore-missing "+Quote(a.sums),
		fmt.Sprintf("# 2. Copy %s and %s to the node; there, as root, in the directory that holds them,", a.program, a.images),
		fmt.Sprintf("#    replace the old images (with --data-dir: <data-dir>/agent/images instead of %s):", images),
		"mkdir -p "+images,
	)
	if d == version.RKE2 {
		out = append(out,
			"rm -f "+images+"/rke2-images*",
			"install -m 0644 "+Quote(a.images)+" "+images+"/",
			"# 3. Unpack the tarball where the install script put the old one: /usr/local, or /opt/rke2 where /usr/local is",
			"#    read-only (INSTALL_RKE2_TAR_PREFIX); a node installed from RPMs upgrades its rke2-* RPMs instead.",
			"tar -xzf "+Quote(a.program)+" -C /usr/local",
		)
	} else {
		out = append(out,
			"rm -f "+images+"/k3s-airgap-images-*",
			"install -m 0644 "+Quote(a.images)+" "+images+"/",
			"# 3. Replace the binary where the install script put it: /usr/local/bin, or /opt/bin where /usr/local is read-only",
			"#    (INSTALL_K3S_BIN_DIR); install(1) swaps the file, where cp would meet \"Text file busy\".",
			"install -m 0755 "+Quote(a.program)+" /usr/local/bin/k3s",
		)
	}
	return append(out,
		"# 4. Restart the service: it imports the new images and runs the new release.",
		"systemctl restart "+s.Unit(server),
	)
}

// printable replaces what would end or hide a comment line (control characters),
// for values from the cluster that only a person reads.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
