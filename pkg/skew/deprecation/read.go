package deprecation

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// ClusterSource is where Read reads from. Everything is read-only.
type ClusterSource struct {
	Kube      kubernetes.Interface
	Discovery discovery.DiscoveryInterface
	// Metadata lists live objects' metadata; nil skips the last-applied source.
	Metadata metadata.Interface
	// Metrics fetches the apiserver's /metrics; nil skips the gauge.
	Metrics func(context.Context) ([]byte, error)
}

// ReadOptions bound Read.
type ReadOptions struct {
	// MaxReleaseBytes bounds one Helm release, stored and expanded (DefaultMaxReleaseBytes when 0).
	MaxReleaseBytes int64
}

// Helm's marks on the objects that store releases (docs/deprecated-apis.md). Helm
// finds its releases by these labels alone, and so do we: the Secret type
// (helm.sh/release.v1) is not part of the selector.
const (
	helmSelector    = "owner=helm,status=deployed"
	helmReleaseKey  = "release"
	releasePageSize = 100 // a release may be a megabyte: small pages keep memory flat
)

// Read reads every source in the cluster at once: Helm releases (Secrets and
// ConfigMaps), live objects' last-applied configuration, and the /metrics gauge.
// A source it may not read is Skipped, never an error: only a cancelled context is.
func Read(ctx context.Context, src ClusterSource, o ReadOptions) (*Scan, error) {
	parts := make([]*Scan, 4)
	var wg sync.WaitGroup
	run := func(i int, read func() *Scan) {
		wg.Add(1)
		go func() { defer wg.Done(); parts[i] = read() }()
	}
	run(0, func() *Scan { return readReleases(ctx, src.Kube, "secret", o.MaxReleaseBytes) })
	run(1, func() *Scan { return readReleases(ctx, src.Kube, "configmap", o.MaxReleaseBytes) })
	run(2, func() *Scan { return readObjects(ctx, src.Discovery, src.Metadata) })
	run(3, func() *Scan { return readMetrics(ctx, src.Metrics) })
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Scan{}
	for _, p := range parts {
		s.Add(p)
	}
	return s, nil
}

// stored is the newest deployed revision of one release, not yet decoded.
type stored struct {
	namespace, name, object string
	revision                int
	data                    []byte
}

// readReleases lists the deployed revisions Helm stored in Secrets or ConfigMaps,
// keeps the newest of each release, and decodes only those, in parallel.
func readReleases(ctx context.Context, kube kubernetes.Interface, kind string, limit int64) *Scan {
	page := func(opts metav1.ListOptions) ([]stored, string, error) {
		opts.LabelSelector, opts.Limit = helmSelector, releasePageSize
		var out []stored
		if kind == "secret" {
			l, err := kube.CoreV1().Secrets("").List(ctx, opts)
			if err != nil {
				return nil, "", err
			}
			for _, it := range l.Items {
				out = append(out, storedFrom(it.ObjectMeta, it.Data[helmReleaseKey]))
			}
			return out, l.Continue, nil
		}
		l, err := kube.CoreV1().ConfigMaps("").List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		for _, it := range l.Items {
			out = append(out, storedFrom(it.ObjectMeta, []byte(it.Data[helmReleaseKey])))
		}
		return out, l.Continue, nil
	}
	all, err := cluster.ListAll(ctx, page)
	if err != nil {
		return &Scan{Skipped: []Skipped{{What: "Helm releases stored in " + kind + "s", Reason: listReason(err, kind+"s")}}}
	}
	newest := map[string]*stored{}
	for i := range all {
		st := &all[i]
		key := st.namespace + "/" + st.name
		if cur, ok := newest[key]; !ok || st.revision > cur.revision {
			newest[key] = st
		}
	}
	s := decodeAll(newest, kind, limit)
	s.ReleasesRead = true
	return s
}

// storedFrom reads Helm's labels: the release's name and revision.
func storedFrom(m metav1.ObjectMeta, data []byte) stored {
	rev, _ := strconv.Atoi(m.Labels["version"])
	return stored{namespace: m.Namespace, name: m.Labels["name"], object: m.Name, revision: rev, data: data}
}

func decodeAll(newest map[string]*stored, kind string, limit int64) *Scan {
	list := make([]*stored, 0, len(newest))
	for _, st := range newest {
		list = append(list, st)
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].namespace+"/"+list[i].name < list[j].namespace+"/"+list[j].name
	})
	scans := make([]*Scan, len(list))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(list), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				scans[i] = decodeStored(list[i], kind, limit)
			}
		}()
	}
	for i := range list {
		work <- i
	}
	close(work)
	wg.Wait()
	s := &Scan{}
	for _, sc := range scans {
		s.Add(sc)
	}
	return s
}

func decodeStored(st *stored, kind string, limit int64) *Scan {
	storage := kind + " " + st.object
	r, err := DecodeRelease(st.data, limit)
	if err != nil {
		ref := ReleaseRef{Namespace: st.namespace, Name: st.name, Revision: st.revision, Storage: storage}
		return &Scan{Releases: 1, Problems: []Problem{{Source: SourceHelm, Release: &ref, Reason: err.Error()}}}
	}
	// The Secret's labels are what Helm lists by; the release's own fields agree with
	// them unless it was tampered with, and the labels are what a user sees.
	r.Namespace, r.Name, r.Version = st.namespace, st.name, st.revision
	return r.Scan(storage)
}

func readMetrics(ctx context.Context, fetch func(context.Context) ([]byte, error)) *Scan {
	if fetch == nil {
		return &Scan{Skipped: []Skipped{{What: "the apiserver's /metrics", Reason: "this client cannot read it"}}}
	}
	b, err := fetch(ctx)
	if err == nil {
		var m Metrics
		if m, err = ParseMetrics(b); err == nil {
			return &Scan{Metrics: &m}
		}
	}
	reason := err.Error()
	if apierrors.IsForbidden(err) {
		reason = "forbidden: ask for get on the nonResourceURL /metrics"
	}
	return &Scan{Skipped: []Skipped{{What: "the apiserver's /metrics", Reason: reason}}}
}

func listReason(err error, resource string) string {
	if apierrors.IsForbidden(err) {
		return fmt.Sprintf("forbidden: ask for list on %s in all namespaces", resource)
	}
	return err.Error()
}
