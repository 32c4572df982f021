package suc

import (
	"fmt"
	"strings"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// SnapshotName is the name we give the snapshot taken before a hop from a version:
// K3s and RKE2 append the node and a timestamp to form the file name.
func SnapshotName(from version.Version) string {
	return safeName("kubectl-skew-pre-upgrade-" + strings.ToLower(from.ImageTag()))
}

// SnapshotPlan takes one etcd snapshot on one server through a SUC Job: the Job
// mounts the host's root at /host, so the host's own k3s or rke2 binary runs it
// (docs/domain.md). Its version is the node's current one, so the Job changes nothing
// else, and SUC runs it once per node (the version is in the Plan's hash).
func SnapshotPlan(d version.Distro, node upgradepath.NodeStep, current version.Version, name string, cfg PlanConfig) *upgradev1.Plan {
	rec := Record{Target: current, Snapshot: name, SnapshotNode: node.Name}
	p := basePlan(d, RoleSnapshot, current, version.Version{}, rec, cfg)
	p.Name = safeName("kubectl-skew-snapshot-" + strings.ToLower(current.ImageTag()))
	delete(p.Annotations, AnnotationTarget)
	p.Spec.Concurrency = 1
	p.Spec.NodeSelector = hostnameSelector([]upgradepath.NodeStep{node}, nil)
	bin := "k3s"
	if d == version.RKE2 {
		bin = "rke2"
	}
	// rke2 may live in /opt/rke2/bin (tarball installs on some systems), off PATH.
	script := fmt.Sprintf(`set -e; for b in %[1]s /usr/local/bin/%[1]s /opt/%[1]s/bin/%[1]s; do if command -v "$b" >/dev/null 2>&1; then exec "$b" etcd-snapshot save --name %[2]s; fi; done; echo "%[1]s not found on the host" >&2; exit 1`, bin, name)
	p.Spec.Upgrade.Command = []string{"chroot", "/host", "/bin/sh", "-c"}
	p.Spec.Upgrade.Args = []string{script}
	return p
}
