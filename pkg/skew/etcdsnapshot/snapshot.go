// Package etcdsnapshot reads the etcd snapshots K3s and RKE2 record as
// ETCDSnapshotFile objects, and judges whether the newest one is fresh enough to
// roll back to.
package etcdsnapshot

import (
	"context"
	"sort"
	"strings"
	"time"

	k3sv1 "github.com/k3s-io/api/k3s.cattle.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// Resource is K3s/RKE2's record of an etcd snapshot (docs/domain.md).
var Resource = schema.GroupVersionResource{Group: "k3s.cattle.io", Version: "v1", Resource: "etcdsnapshotfiles"}

// DefaultMaxAge is how old the newest snapshot may be before preflight warns.
const DefaultMaxAge = 24 * time.Hour

// Snapshot is one ready etcd snapshot.
type Snapshot struct {
	// Object is the ETCDSnapshotFile's metadata.name; Name is its spec.snapshotName.
	Object   string
	Name     string
	Node     string
	Location string
	Created  time.Time
	// Size is status.size as K3s wrote it ("" when unknown).
	Size string
	// S3 is where an S3 snapshot lives (nil for a file on the node).
	S3 *S3
}

// S3 is the bucket an S3 snapshot was uploaded to: the --etcd-s3-* flags a restore needs.
type S3 struct {
	Endpoint, Bucket, Region, Prefix string
	Insecure, SkipSSLVerify          bool
}

// Served reports whether the cluster serves ETCDSnapshotFile (K3s/RKE2
// from v1.27 on); older clusters record snapshots only on disk.
func Served(d discovery.DiscoveryInterface) (bool, error) {
	return cluster.Served(d, Resource)
}

// List returns the ready snapshots, newest first.
func List(ctx context.Context, dyn dynamic.Interface) ([]Snapshot, error) {
	l, err := dyn.Resource(Resource).List(ctx, metav1.ListOptions{})
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
	out := Snapshot{Object: f.Name, Name: f.Spec.SnapshotName, Node: f.Spec.NodeName, Location: f.Spec.Location, Created: st.CreationTime.Time}
	if st.Size != nil {
		out.Size = st.Size.String()
	}
	if s3 := f.Spec.S3; s3 != nil {
		out.S3 = &S3{Endpoint: s3.Endpoint, Bucket: s3.Bucket, Region: s3.Region, Prefix: s3.Prefix, Insecure: s3.Insecure, SkipSSLVerify: s3.SkipSSLVerify}
	}
	return out, true
}

// Freshness is the snapshot check's verdict.
type Freshness struct {
	Newest *Snapshot
	Fresh  bool
}

// Newest judges the newest ready snapshot against maxAge.
func Newest(snaps []Snapshot, now time.Time, maxAge time.Duration) Freshness {
	if len(snaps) == 0 {
		return Freshness{}
	}
	s := snaps[0]
	return Freshness{Newest: &s, Fresh: now.Sub(s.Created) <= maxAge}
}

// Find returns the ready snapshot K3s/RKE2 recorded for our name, if any.
func Find(snaps []Snapshot, name string) *Snapshot {
	for i := range snaps {
		if snaps[i].Name == name || strings.HasPrefix(snaps[i].Name, name+"-") {
			return &snaps[i]
		}
	}
	return nil
}
