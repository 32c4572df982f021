package report

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
)

// ReleaseList is printed by "kubectl skew releases": K3s and RKE2 releases and the
// versions of the components each one ships, from the release data.
type ReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	// Origin is where the release data came from: "embedded", or the file or URL given.
	Origin string `json:"origin"`
	// Filters are the flags that narrowed the list; a field not given is empty.
	Filters ReleaseFilters `json:"filters"`
	// Newest is the newest listed release of each distribution, K3s first.
	Newest []ReleaseRef `json:"newest"`
	// Items are the releases listed: by distribution (K3s first), oldest first.
	Items []ReleaseItem `json:"items"`
}

// ReleaseFilters are --distro, --minor and --release as parsed.
type ReleaseFilters struct {
	Distro  string `json:"distro,omitempty"`
	Minor   string `json:"minor,omitempty"`
	Release string `json:"release,omitempty"`
}

// ReleaseRef names one release and its date.
type ReleaseRef struct {
	Distro  string `json:"distro"`
	Version string `json:"version"`
	Date    string `json:"date,omitempty"`
}

// ReleaseItem is one release and what it ships.
type ReleaseItem struct {
	// Distro is k3s or rke2.
	Distro  string `json:"distro"`
	Version string `json:"version"`
	// Minor is the Kubernetes minor of the release ("v1.33").
	Minor string `json:"minor"`
	// Date is the release date (YYYY-MM-DD) the notes give; empty when they give none.
	Date string `json:"date,omitempty"`
	// Components maps a component name (etcd, containerd, traefik, ...) to its version
	// as the release notes write it; a component the release does not ship is absent.
	Components map[string]string `json:"components"`
	// Source is where the row was read: a release-notes file at a commit, or a page.
	Source release.Source `json:"source"`
}

// NewReleaseList returns an empty ReleaseList with its type set.
func NewReleaseList() *ReleaseList {
	return &ReleaseList{TypeMeta: typeMeta("ReleaseList"), Newest: []ReleaseRef{}, Items: []ReleaseItem{}}
}

// DeepCopyObject implements runtime.Object.
func (r *ReleaseList) DeepCopyObject() Object { return deepCopyJSON(r) }
