package upgrade

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	k3sv1 "github.com/k3s-io/api/k3s.cattle.io/v1"
	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// SnapshotResource is K3s/RKE2's record of an etcd snapshot (design.md §8).
var SnapshotResource = schema.GroupVersionResource{Group: "k3s.cattle.io", Version: "v1", Resource: "etcdsnapshotfiles"}

// DefaultSnapshotMaxAge is how old the newest snapshot may be before preflight warns.
const DefaultSnapshotMaxAge = 24 * time.Hour

// Snapshot is one ready etcd snapshot.
type Snapshot struct {
	Name     string
	Node     string
	Location string
	Created  time.Time
}

// SnapshotsServed reports whether the cluster serves ETCDSnapshotFile (K3s/RKE2
// from v1.27 on); older clusters record snapshots only on disk.
func SnapshotsServed(d discovery.DiscoveryInterface) (bool, error) {
	return served(d, SnapshotResource)
}

func served(d discovery.DiscoveryInterface, gvr schema.GroupVersionResource) (bool, error) {
	rl, err := d.ServerResourcesForGroupVersion(gvr.GroupVersion().String())
	if err != nil {
		if isNotFound(err) {
			return false, nil
		}
		return false, err
	}
	for _, r := range rl.APIResources {
		if r.Name == gvr.Resource {
			return true, nil
		}
	}
	return false, nil
}

// ListSnapshots returns the ready snapshots, newest first.
func ListSnapshots(ctx context.Context, dyn dynamic.Interface) ([]Snapshot, error) {
	l, err := dyn.Resource(SnapshotResource).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []Snapshot
	for i := range l.Items {
		var f k3sv1.ETCDSnapshotFile
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(l.Items[i].Object, &f); err != nil {
			continue // one malformed record must not hide the others
		}
		if s, ok := readySnapshot(&f); ok {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

func readySnapshot(f *k3sv1.ETCDSnapshotFile) (Snapshot, bool) {
	st := f.Status
	if st.ReadyToUse == nil || !*st.ReadyToUse || st.Error != nil || st.CreationTime == nil {
		return Snapshot{}, false
	}
	return Snapshot{Name: f.Spec.SnapshotName, Node: f.Spec.NodeName, Location: f.Spec.Location, Created: st.CreationTime.Time}, true
}

// SnapshotName is the name we give the snapshot taken before a hop from a version:
// K3s and RKE2 append the node and a timestamp to form the file name.
func SnapshotName(from version.Version) string {
	return safeName("kubectl-skew-pre-upgrade-" + strings.ToLower(from.ImageTag()))
}

// SnapshotPlan takes one etcd snapshot on one server through a SUC Job: the Job
// mounts the host's root at /host, so the host's own k3s or rke2 binary runs it
// (design.md §8). Its version is the node's current one, so the Job changes nothing
// else, and SUC runs it once per node (the version is in the Plan's hash).
func SnapshotPlan(d version.Distro, node NodeStep, current version.Version, name string, cfg PlanConfig) *upgradev1.Plan {
	rec := Record{Target: current, Snapshot: name, SnapshotNode: node.Name}
	p := basePlan(d, RoleSnapshot, current, version.Version{}, rec, cfg)
	p.Name = safeName("kubectl-skew-snapshot-" + strings.ToLower(current.ImageTag()))
	delete(p.Annotations, AnnotationTarget)
	p.Spec.Concurrency = 1
	p.Spec.NodeSelector = hostnameSelector([]NodeStep{node}, nil)
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

// FreshSnapshot is the snapshot check's verdict.
type FreshSnapshot struct {
	Newest *Snapshot
	Fresh  bool
}

// NewestSnapshot judges the newest ready snapshot against maxAge.
func NewestSnapshot(snaps []Snapshot, now time.Time, maxAge time.Duration) FreshSnapshot {
	if len(snaps) == 0 {
		return FreshSnapshot{}
	}
	s := snaps[0]
	return FreshSnapshot{Newest: &s, Fresh: now.Sub(s.Created) <= maxAge}
}

// FindSnapshot returns the ready snapshot K3s/RKE2 recorded for our name, if any.
func FindSnapshot(snaps []Snapshot, name string) *Snapshot {
	for i := range snaps {
		if snaps[i].Name == name || strings.HasPrefix(snaps[i].Name, name+"-") {
			return &snaps[i]
		}
	}
	return nil
}

// Age is a human duration: "3h", "2d4h", "45m".
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	days := int(d.Hours()) / 24
	return fmt.Sprintf("%dd%dh", days, int(d.Hours())%24)
}
