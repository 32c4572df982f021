package hazard

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// The judgements of the hazards a bundled component decides, each from the release a
// node runs now (or the node's own report) to the release the hop installs.

// judgeEtcd36 names every etcd member that is not ready for the hop's etcd: below
// v3.5.26 while the hop brings 3.6 (or may: a release the data does not know), and any
// member the hop would take from 3.6 back to 3.5.
func judgeEtcd36(h Hop, f *Facts) []Hit {
	x := h.data()
	m := EtcdMinimum{Releases: x}
	guard := m.Guards(h.From, h.To)
	var out []Hit
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if !n.Etcd {
			continue
		}
		v, _, ok := h.release(n)
		if !ok {
			continue // the skew policy's SKEW501 names unparsable versions
		}
		kubelet := v.String()
		if m.Downgrades(v, h.To) {
			out = append(out, Hit{Subject: "node/" + n.Name, Message: fmt.Sprintf("runs %s (%s); the hop installs %s (%s): etcd cannot go back from 3.6 to 3.5",
				kubelet, componentOf(x, v, release.Etcd), h.To, componentOf(x, h.To, release.Etcd))})
			continue
		}
		if guard == No || m.Meets(v) {
			continue
		}
		t := guard
		if atLeast(x, v, release.Etcd, etcdSafeFrom) == Maybe {
			t = Maybe
		}
		out = append(out, Hit{Subject: "node/" + n.Name, Message: fmt.Sprintf("runs %s (%s); the hop installs %s (%s): every etcd member must run etcd v3.5.26 or later before any moves to 3.6%s",
			kubelet, componentOf(x, v, release.Etcd), h.To, componentOf(x, h.To, release.Etcd), unknownNote(x, t, release.Etcd, v, h.To))})
	}
	return out
}

// runtimeVersion reads containerd's version from the node's report
// ("containerd://2.0.4-k3s2"); ok is false for another runtime or an unreadable one.
func runtimeVersion(runtime string) (version.Version, bool) {
	rest, ok := strings.CutPrefix(runtime, "containerd://")
	if !ok {
		return version.Version{}, false
	}
	v, err := version.Parse(rest)
	return v, err == nil
}

// judgeContainerd2 names nodes that run containerd 1.x where the hop brings 2.x; where
// it brings 2.1 as well, the one finding says so (SKEW913 names only nodes already on 2.0).
func judgeContainerd2(h Hop, f *Facts) []Hit {
	why := "; containerd 2 migrates a version 2 config at start, but a custom config.toml.tmpl naming what 2.0 removed (the runtime v1 and runc.v1 shims, aufs, CRI v1alpha2) stops it, and K3s and RKE2 still render config.toml.tmpl when no config-v3.toml.tmpl exists"
	if atLeast(h.data(), h.To, release.Containerd, containerd21) != No {
		why += "; and 2.1 no longer pulls Docker image manifest schema 1 (SKEW913)"
	}
	return containerdHits(h, f, version.Version{}, containerd20, why)
}

// judgeContainerd21 names nodes on containerd 2.0 where the hop brings 2.1, which no
// longer pulls Docker schema 1 images; nodes still on 1.x are SKEW907's.
func judgeContainerd21(h Hop, f *Facts) []Hit {
	return containerdHits(h, f, containerd20, containerd21, "; containerd 2.1 no longer pulls Docker image manifest schema 1: pods whose image exists only in that format fail to pull")
}

// containerdHits names the nodes whose containerd is at least from (a zero from: any)
// and below boundary, where the hop brings boundary or later.
func containerdHits(h Hop, f *Facts, from, boundary version.Version, why string) []Hit {
	x := h.data()
	to := atLeast(x, h.To, release.Containerd, boundary)
	if to == No {
		return nil
	}
	note := unknownNote(x, to, release.Containerd, h.To)
	var out []Hit
	for i := range f.Nodes {
		n := &f.Nodes[i]
		v, ok := h.containerd(n)
		if !ok || v.Compare(boundary) >= 0 || v.Compare(from) < 0 {
			continue
		}
		out = append(out, Hit{Subject: "node/" + n.Name, Message: fmt.Sprintf("runs containerd %s; the hop brings %s%s%s",
			v, componentOf(x, h.To, release.Containerd), why, note)})
	}
	return out
}

// containerd is the containerd node n runs before the hop: what it reports, or, where
// an earlier hop moves it, what that hop's release bundles.
func (h Hop) containerd(n *Node) (version.Version, bool) {
	if rel, moved, ok := h.release(n); moved && ok {
		if r, known := h.data().Lookup(rel); known {
			return r.Component(release.Containerd)
		}
	}
	if n.indexed {
		if n.containerd == nil {
			return version.Version{}, false
		}
		return *n.containerd, true
	}
	return runtimeVersion(n.Runtime)
}
