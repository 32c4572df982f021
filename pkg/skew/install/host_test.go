package install

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func TestAirgapSteps(t *testing.T) {
	tests := []struct {
		name   string
		d      version.Distro
		v      version.Version
		server bool
		arch   string
		want   []string // commands (comments left out), in order
	}{
		{"k3s agent amd64", version.K3s, k3sV, false, "amd64", []string{
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/k3s'",
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/k3s-airgap-images-amd64.tar.zst'",
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/sha256sum-amd64.txt'",
			"sha256sum --check --ignore-missing sha256sum-amd64.txt",
			"mkdir -p /var/lib/rancher/k3s/agent/images",
			"rm -f /var/lib/rancher/k3s/agent/images/k3s-airgap-images-*",
			"install -m 0644 k3s-airgap-images-amd64.tar.zst /var/lib/rancher/k3s/agent/images/",
			"install -m 0755 k3s /usr/local/bin/k3s",
			"systemctl restart k3s-agent",
		}},
		{"k3s server arm64 (Go's name) and armhf", version.K3s, k3sV, true, "arm64", []string{
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/k3s-arm64'",
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/k3s-airgap-images-arm64.tar.zst'",
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/sha256sum-arm64.txt'",
			"sha256sum --check --ignore-missing sha256sum-arm64.txt",
			"mkdir -p /var/lib/rancher/k3s/agent/images",
			"rm -f /var/lib/rancher/k3s/agent/images/k3s-airgap-images-*",
			"install -m 0644 k3s-airgap-images-arm64.tar.zst /var/lib/rancher/k3s/agent/images/",
			"install -m 0755 k3s-arm64 /usr/local/bin/k3s",
			"systemctl restart k3s",
		}},
		{"k3s arm", version.K3s, k3sV, false, "arm", []string{
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/k3s-armhf'",
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/k3s-airgap-images-arm.tar.zst'",
			"curl -fLO 'https://github.com/k3s-io/k3s/releases/download/v1.33.5%2Bk3s1/sha256sum-arm.txt'",
			"sha256sum --check --ignore-missing sha256sum-arm.txt",
			"mkdir -p /var/lib/rancher/k3s/agent/images",
			"rm -f /var/lib/rancher/k3s/agent/images/k3s-airgap-images-*",
			"install -m 0644 k3s-airgap-images-arm.tar.zst /var/lib/rancher/k3s/agent/images/",
			"install -m 0755 k3s-armhf /usr/local/bin/k3s",
			"systemctl restart k3s-agent",
		}},
		{"rke2 server x86_64", version.RKE2, rke2V, true, "x86_64", []string{
			"curl -fLO 'https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/rke2.linux-amd64.tar.gz'",
			"curl -fLO 'https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/rke2-images.linux-amd64.tar.zst'",
			"curl -fLO 'https://github.com/rancher/rke2/releases/download/v1.33.5%2Brke2r1/sha256sum-amd64.txt'",
			"sha256sum --check --ignore-missing sha256sum-amd64.txt",
			"mkdir -p /var/lib/rancher/rke2/agent/images",
			"rm -f /var/lib/rancher/rke2/agent/images/rke2-images*",
			"install -m 0644 rke2-images.linux-amd64.tar.zst /var/lib/rancher/rke2/agent/images/",
			"tar -xzf rke2.linux-amd64.tar.gz -C /usr/local",
			"systemctl restart rke2-server",
		}},
		{"rke2 agent on an architecture without artifacts", version.RKE2, rke2V, false, "riscv64", nil},
		{"no architecture", version.K3s, k3sV, false, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := AirgapSteps(tc.d, tc.v, tc.server, tc.arch)
			var cmds []string
			for _, l := range lines {
				if !strings.HasPrefix(l, "#") {
					cmds = append(cmds, l)
				}
			}
			if !reflect.DeepEqual(cmds, tc.want) {
				t.Errorf("commands =\n%s\nwant\n%s", strings.Join(cmds, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(lines) == 0 || !strings.HasPrefix(lines[0], "#") {
				t.Errorf("no heading comment: %q", lines)
			}
			if tc.want == nil && !strings.Contains(lines[0], "/releases/tag/") {
				t.Errorf("no release page for an unknown architecture: %q", lines[0])
			}
			bashParses(t, tc.name, lines)
		})
	}
}

func TestIsNixOS(t *testing.T) {
	for image, want := range map[string]bool{
		"NixOS 25.05 (Warbler)":          true,
		"NixOS 24.11 (Vicuña)":           true,
		"NixOS 25.11pre-git (Xantusia)":  true,
		" nixos 23.11 (Tapir) ":          true,
		"NixOS":                          true,
		"NixOSfoo 1.0":                   false,
		"Ubuntu 24.04.2 LTS":             false,
		"Debian GNU/Linux 12 (bookworm)": false,
		"":                               false,
		"Nix":                            false,
		"SUSE Linux Enterprise Micro 6.0 (NixOS-like)": false,
	} {
		if got := IsNixOS(image); got != want {
			t.Errorf("IsNixOS(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestNixpkgsAttribute(t *testing.T) {
	for _, tc := range []struct {
		d     version.Distro
		minor version.MinorVersion
		want  string
	}{
		{version.K3s, version.MinorVersion{Major: 1, Minor: 33}, "k3s_1_33"},
		{version.RKE2, version.MinorVersion{Major: 1, Minor: 32}, "rke2_1_32"},
		{version.Other, version.MinorVersion{Major: 1, Minor: 33}, ""},
	} {
		if got := NixpkgsAttribute(tc.d, tc.minor); got != tc.want {
			t.Errorf("NixpkgsAttribute(%s, %s) = %q, want %q", tc.d, tc.minor, got, tc.want)
		}
	}
}

func TestNixOSSteps(t *testing.T) {
	tests := []struct {
		name, node, hostname string
		d                    version.Distro
		v                    version.Version
		want                 []string // lines that must be there
	}{
		{"k3s", "k3s-1", "k3s-1", version.K3s, k3sV, []string{
			"#      services.k3s.package = pkgs.k3s_1_33;",
			`nix eval --raw '.#nixosConfigurations."k3s-1".config.services.k3s.package.version'`,
			"nixos-rebuild switch --flake '.#k3s-1' --target-host root@k3s-1",
		}},
		{"rke2, a hostname with dots", "node-a", "node-a.example.org", version.RKE2, rke2V, []string{
			"#      services.rke2.package = pkgs.rke2_1_33;",
			`nix eval --raw '.#nixosConfigurations."node-a.example.org".config.services.rke2.package.version'`,
			"nixos-rebuild switch --flake '.#node-a.example.org' --target-host root@node-a.example.org",
		}},
		{"no hostname label: the node's name", "n1", "", version.K3s, k3sV, []string{
			"nixos-rebuild switch --flake '.#n1' --target-host root@n1",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := NixOSSteps(tc.d, tc.v, tc.node, tc.hostname)
			all := "\n" + strings.Join(lines, "\n") + "\n"
			for _, w := range tc.want {
				if !strings.Contains(all, "\n"+w+"\n") {
					t.Errorf("no line %q in\n%s", w, all)
				}
			}
			if !strings.Contains(all, "may not be "+tc.v.String()) {
				t.Errorf("the patch caveat is missing:\n%s", all)
			}
			bashParses(t, tc.name, lines)
		})
	}
}

func TestMethod(t *testing.T) {
	withInfo := func(os, image string) *corev1.Node {
		n := node("n", nil)
		n.Status.NodeInfo = corev1.NodeSystemInfo{OperatingSystem: os, OSImage: image}
		return n
	}
	tests := []struct {
		name string
		node *corev1.Node
		kind Kind
		also []Kind
		why  string
	}{
		{"NixOS", withInfo("linux", "NixOS 25.05 (Warbler)"), NixOS, nil, `osImage "NixOS 25.05 (Warbler)"`},
		{"Ubuntu", withInfo("linux", "Ubuntu 24.04.2 LTS"), Script, []Kind{Airgap}, `osImage "Ubuntu 24.04.2 LTS"`},
		{"no report", withInfo("", ""), Script, []Kind{Airgap}, "the install script"},
		{"Windows", withInfo("windows", "Windows Server 2022 Datacenter"), Unknown, nil, "windows"},
		{"nil", nil, Unknown, nil, "no node"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := Method(tc.node)
			if g.Kind != tc.kind || !reflect.DeepEqual(g.Also, tc.also) || !strings.Contains(g.Why, tc.why) {
				t.Errorf("Method = %+v, want %s %v with %q", g, tc.kind, tc.also, tc.why)
			}
		})
	}
}
