package release

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Component names, as the data spells them (lower case, the release notes' column
// titles). Data may carry others; the rules read only these.
const (
	Kubernetes           = "kubernetes"
	Etcd                 = "etcd"
	Containerd           = "containerd"
	Runc                 = "runc"
	Traefik              = "traefik"
	IngressNginx         = "ingress-nginx"
	Kine                 = "kine"
	SQLite               = "sqlite"
	Flannel              = "flannel"
	MetricsServer        = "metrics-server"
	CoreDNS              = "coredns"
	HelmController       = "helm-controller"
	LocalPathProvisioner = "local-path-provisioner"
	CanalFlannel         = "canal-flannel"
	CanalCalico          = "canal-calico"
	Calico               = "calico"
	Cilium               = "cilium"
	Multus               = "multus"
)

// Distros are the distributions release data covers, in the order lists show them.
var Distros = []version.Distro{version.K3s, version.RKE2}

// Release is one K3s or RKE2 release and what it ships.
type Release struct {
	Version version.Version
	// Date is the release date (YYYY-MM-DD) the notes give; empty when they give none.
	Date string
	// Components maps a component name to its version as the notes write it
	// ("v3.5.26-k3s1"). A component the release does not ship is absent.
	Components map[string]string
	Source     Source
	// parsed is Components parsed, filled by NewIndex: hazards ask for a component of
	// the same few releases for each of thousands of nodes.
	parsed map[string]version.Version
}

// Source names where a row was read: a release-notes file at a commit, or a page.
type Source struct {
	Repo   string `json:"repo,omitempty"`
	Path   string `json:"path,omitempty"`
	Commit string `json:"commit,omitempty"`
	URL    string `json:"url,omitempty"`
}

// String is "k3s-io/docs docs/release-notes/v1.33.X.md@0a1b2c3d4e5f" or the URL.
func (s Source) String() string {
	if s.Repo == "" {
		return s.URL
	}
	commit := s.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return s.Repo + " " + s.Path + "@" + commit
}

// Component is the parsed version of a component the release ships; ok is false when
// the release does not ship it. Vendor suffixes ("-k3s1", "-hardened2") do not order.
func (r *Release) Component(name string) (version.Version, bool) {
	if r.parsed != nil {
		v, ok := r.parsed[name]
		return v, ok
	}
	raw, ok := r.Components[name]
	if !ok {
		return version.Version{}, false
	}
	v, err := version.Parse(raw)
	return v, err == nil
}

// ComponentNames are the release's components, sorted.
func (r *Release) ComponentNames() []string {
	out := make([]string, 0, len(r.Components))
	for k := range r.Components {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Change is one component that differs between two releases.
type Change struct {
	Component string `json:"component"`
	// From and To are the versions; "" where a release does not ship the component.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// String is "etcd v3.5.21-k3s1 -> v3.5.26-k3s1".
func (c Change) String() string {
	from, to := c.From, c.To
	if from == "" {
		from = "(not listed)"
	}
	if to == "" {
		to = "(not listed)"
	}
	return fmt.Sprintf("%s %s -> %s", c.Component, from, to)
}

// Changes lists the components that differ from a to b, Kubernetes left out (the hop
// names it already), in name order.
func Changes(a, b *Release) []Change {
	names := map[string]bool{}
	for k := range a.Components {
		names[k] = true
	}
	for k := range b.Components {
		names[k] = true
	}
	var out []Change
	for name := range names {
		if name == Kubernetes || a.Components[name] == b.Components[name] {
			continue
		}
		out = append(out, Change{Component: name, From: a.Components[name], To: b.Components[name]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Component < out[j].Component })
	return out
}

// SummarizeChanges is "etcd v3.5.21 -> v3.5.26, traefik v3.5.1 -> v3.6.7" for a table cell.
func SummarizeChanges(cs []Change, only ...string) string {
	var parts []string
	for _, c := range cs {
		if len(only) > 0 && !slices.Contains(only, c.Component) {
			continue
		}
		parts = append(parts, c.String())
	}
	return strings.Join(parts, ", ")
}
