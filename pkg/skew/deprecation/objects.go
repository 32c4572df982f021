package deprecation

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/metadata"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// LastApplied is the annotation kubectl apply keeps the applied manifest in.
const LastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// objectPageSize is larger than the other lists': metadata is small, round trips are not.
const objectPageSize = 2000

// readObjects lists the metadata of every served resource whose kind the table
// knows (an object's kind never changes, only the group version it is served at),
// and reads the apiVersion it was last applied with.
func readObjects(ctx context.Context, disc discovery.DiscoveryInterface, meta metadata.Interface) *Scan {
	what := "live objects' " + LastApplied
	if meta == nil || disc == nil {
		return &Scan{Skipped: []Skipped{{What: what, Reason: "this client cannot list object metadata"}}}
	}
	resources, err := ScannedResources(disc)
	if err != nil && len(resources) == 0 {
		return &Scan{Skipped: []Skipped{{What: what, Reason: "discovery failed: " + err.Error()}}}
	}
	scans := make([]*Scan, len(resources))
	errs := make([]error, len(resources))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, r := range resources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			scans[i], errs[i] = listApplied(ctx, meta, r)
		}()
	}
	wg.Wait()
	s := &Scan{}
	// One line per reason, not per resource: a user without list on most kinds would
	// otherwise get thirty warnings that all say "forbidden".
	var reasons []string
	failed := map[string][]string{}
	for i, sc := range scans {
		if errs[i] == nil {
			s.ObjectsRead = true
			s.Add(sc)
			continue
		}
		reason := listReason(errs[i], "them")
		if _, seen := failed[reason]; !seen {
			reasons = append(reasons, reason)
		}
		failed[reason] = append(failed[reason], resources[i].GVR.GroupResource().String())
	}
	for _, reason := range reasons {
		s.Skipped = append(s.Skipped, Skipped{What: what + " of " + text.Sample(failed[reason], 4), Reason: reason})
	}
	return s
}

// neverApplied are kinds the table knows that nobody applies with kubectl: components
// write Events (the longest list in most clusters, served twice, in the core group and
// events.k8s.io), controllers their ControllerRevisions and LeaseCandidates.
var neverApplied = map[string]bool{"Event": true, "ControllerRevision": true, "LeaseCandidate": true}

// Resource is one served resource of a kind the table knows.
type Resource struct {
	GVR  schema.GroupVersionResource
	Kind string
}

// ScannedResources are the listable resources, at their preferred version, whose kind
// the table knows. A resource whose preferred version is deprecated but never removed
// (v1 Endpoints from v1.33) is left out: listing it would itself be a deprecated request,
// warned about and counted in /metrics, and its objects keep working. One whose newest
// served version is still to be removed (FlowSchemas on v1.28, served at v1beta3 only)
// is listed: it is the only way to see them before the removal, and every other client
// of that kind already counts against the same version. A group that fails discovery is
// left out; the error says which.
func ScannedResources(disc discovery.DiscoveryInterface) ([]Resource, error) {
	lists, err := disc.ServerPreferredResources()
	kinds := Kinds()
	var out []Resource
	for _, l := range lists {
		gv, perr := schema.ParseGroupVersion(l.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range l.APIResources {
			if !kinds[r.Kind] || neverApplied[r.Kind] || strings.Contains(r.Name, "/") || !hasVerb(r.Verbs, "list") {
				continue
			}
			if a, deprecated := Lookup(gv.String(), r.Kind); deprecated && !a.IsRemoved() {
				continue
			}
			out = append(out, Resource{GVR: gv.WithResource(r.Name), Kind: r.Kind})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GVR.String() < out[j].GVR.String() })
	return out, err
}

func hasVerb(verbs metav1.Verbs, v string) bool {
	for _, x := range verbs {
		if x == v {
			return true
		}
	}
	return false
}

// applied is one object with a last-applied configuration: what it was applied as.
type applied struct{ apiVersion, kind, namespace, name string }

func listApplied(ctx context.Context, meta metadata.Interface, r Resource) (*Scan, error) {
	page := func(opts metav1.ListOptions) ([]applied, string, error) {
		opts.Limit = objectPageSize
		l, err := meta.Resource(r.GVR).List(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		var out []applied
		for i := range l.Items {
			m := &l.Items[i].ObjectMeta
			if ann, ok := m.Annotations[LastApplied]; ok {
				apiVersion, kind, _ := ParseLastApplied(ann)
				out = append(out, applied{apiVersion, kind, m.Namespace, m.Name})
			}
		}
		return out, l.Continue, nil
	}
	all, err := cluster.ListAll(ctx, page)
	if err != nil {
		return nil, err
	}
	s := &Scan{Objects: len(all)}
	for _, a := range all {
		if _, known := Lookup(a.apiVersion, a.kind); known {
			s.Uses = append(s.Uses, Use{Source: SourceObject, APIVersion: a.apiVersion, Kind: a.kind, Namespace: a.namespace, Name: a.name})
		}
	}
	return s, nil
}

// ParseLastApplied reads the apiVersion and kind of an applied manifest.
func ParseLastApplied(s string) (apiVersion, kind string, ok bool) {
	var h struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal([]byte(s), &h); err != nil || h.APIVersion == "" || h.Kind == "" {
		return "", "", false
	}
	return h.APIVersion, h.Kind, true
}
