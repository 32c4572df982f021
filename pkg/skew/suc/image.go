package suc

import "github.com/kubectl-skew/kubectl-skew/pkg/skew/version"

// Image is the system-upgrade-controller image that installs release v (docs/domain.md):
// rancher/k3s-upgrade or rancher/rke2-upgrade, tagged with the version ("+" -> "-").
func Image(d version.Distro, v version.Version) string {
	repo := "rancher/k3s-upgrade"
	if d == version.RKE2 {
		repo = "rancher/rke2-upgrade"
	}
	return repo + ":" + v.ImageTag()
}
