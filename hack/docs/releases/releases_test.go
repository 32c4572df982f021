package releases

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var update = flag.Bool("update", false, "rewrite docs/releases.md")

var docPath = filepath.Join("..", "..", "..", "docs", "releases.md")

// TestReleasesDocIsCurrent fails when docs/releases.md differs from the embedded release
// data: run make docs (or this test with -update) and commit the result.
func TestReleasesDocIsCurrent(t *testing.T) {
	want := Markdown(release.Embedded())
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		a, b := strings.Split(string(got), "\n"), strings.Split(want, "\n")
		line := 0
		for line < len(a) && line < len(b) && a[line] == b[line] {
			line++
		}
		t.Fatalf("docs/releases.md is out of date from line %d: run make docs", line+1)
	}
}

const commit = "2160a60ae3bb0123456789abcdef0123456789ab"

func rel(v, date string, src release.Source, kv ...string) *release.Release {
	r := &release.Release{Version: version.MustParse(v), Date: date, Components: map[string]string{}, Source: src}
	for i := 0; i+1 < len(kv); i += 2 {
		r.Components[kv[i]] = kv[i+1]
	}
	return r
}

func TestMarkdown(t *testing.T) {
	k3sNotes := release.Source{Repo: "k3s-io/docs", Path: "docs/release-notes/v1.33.X.md", Commit: commit}
	rke2Notes := release.Source{Repo: "rancher/rke2-docs", Path: "docs/release-notes/v1.28.X.md", Commit: commit}
	page := release.Source{URL: "https://github.com/k3s-io/k3s/releases/tag/v1.33.13%2Bk3s2"}
	x := release.NewIndex([]*release.Release{
		rel("v1.33.7+k3s1", "2025-12-19", k3sNotes, release.Etcd, "v3.5.25-k3s1", release.Containerd, "v2.1.5-k3s1.33", release.Traefik, "v3.5.1"),
		rel("v1.33.13+k3s2", "", page, release.Etcd, "v3.6.7-k3s1", release.Containerd, "v2.1.5-k3s1.33"),
		rel("v1.33.7+k3s3", "2026-02-03", k3sNotes, release.Etcd, "v3.5.26-k3s1", release.Containerd, "v2.1.5-k3s1.33", release.Traefik, "v3.6.7"),
		rel("v1.28.2+rke2r1", "2023-09-18", rke2Notes, release.Etcd, "v3.5.9-k3s1", release.Containerd, "v1.7.6-k3s1", release.IngressNginx, "4.6.1"),
		rel("v1.28.4+rke2r1", "2023-12-05", rke2Notes, release.Etcd, "v3.5.9-k3s1", release.Containerd, "v1.7.7-k3s1", release.IngressNginx, "v1.9.3-hardened1"),
	}, "test")
	doc := Markdown(x)
	for _, want := range []string{
		"The table built into this version knows 5 releases:\n3 of K3s (v1.33.7+k3s1 to v1.33.13+k3s2) and 2 of RKE2 (v1.28.2+rke2r1 to v1.28.4+rke2r1).",
		"(rows read from pages: 1 of 5)",
		"make release-data K3S_DOCS=<checkout of k3s-io/docs> RKE2_DOCS=<checkout of rancher/rke2-docs>",
		// The example row is the release named, one line as the file writes it.
		`{"version":"v1.33.7+k3s3","date":"2026-02-03","components":{"containerd":"v2.1.5-k3s1.33","etcd":"v3.5.26-k3s1","traefik":"v3.6.7"},"source":{"repo":"k3s-io/docs","path":"docs/release-notes/v1.33.X.md","commit":"` + commit + `"}}`,
		"(or `$KUBECTL_SKEW_RELEASE_DATA`)",
		"at most 16 MiB and 20000 releases, 64 components a release, 256 characters a source field",
		"at most 5s to connect, 10s an attempt and 30s",
		"| minor | releases known | newest known | first with etcd v3.5.26 or later | first with etcd 3.6 | first with containerd 2.0 | first with containerd 2.1 | first with Traefik 3 | read from |\n|---|---|---|---|---|---|---|---|---|\n",
		"| v1.33 | 3 | v1.33.13+k3s2 (no date) | v1.33.7+k3s3 (v3.5.26-k3s1) | v1.33.13+k3s2 (v3.6.7-k3s1) | v1.33.7+k3s1 (v2.1.5-k3s1.33) | v1.33.7+k3s1 (v2.1.5-k3s1.33) | v1.33.7+k3s1 (v3.5.1) | " +
			"[v1.33.X.md@2160a60ae3bb](https://github.com/k3s-io/docs/blob/" + commit + "/docs/release-notes/v1.33.X.md) (2), " +
			"[github.com/k3s-io/k3s/releases/tag/v1.33.13+k3s2](https://github.com/k3s-io/k3s/releases/tag/v1.33.13%2Bk3s2) (1) |\n",
		// RKE2 has the ingress-nginx column; its chart version (4.x) does not count as 1.12.
		"| first with Traefik 3 | first with ingress-nginx 1.12 | read from |",
		"| v1.28 | 2 | v1.28.4+rke2r1 (2023-12-05) | none | none | none | none | none | none | [v1.28.X.md@2160a60ae3bb](https://github.com/rancher/rke2-docs/blob/" + commit + "/docs/release-notes/v1.28.X.md) |\n",
		"The notes give ingress-nginx as 4.6.1 (v1.28.2+rke2r1): the chart's version",
		"Components the K3s rows list: containerd, etcd, traefik.",
		"Components the RKE2 rows list: containerd, etcd, ingress-nginx.",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the page does not say\n  %s\nit is:\n%s", want, doc)
			return
		}
	}
	if strings.Contains(doc, "~") {
		t.Error("a ~ was left for a backquote")
	}

	// No data at all still renders, with a made-up example.
	empty := Markdown(release.NewIndex(nil, "empty"))
	for _, want := range []string{"knows 0 releases", "The data has no K3s release.", "The data has no RKE2 release.", `"version":"v1.33.7+k3s3"`} {
		if !strings.Contains(empty, want) {
			t.Errorf("empty data: no %q", want)
		}
	}
}

// TestBounds: the bounds the page states are release.Decode's.
func TestBounds(t *testing.T) {
	row := func(components int, path string) []byte {
		var cs []string
		for i := 0; i < components; i++ {
			cs = append(cs, fmt.Sprintf(`"c%d":"v1.0.0"`, i))
		}
		return []byte(fmt.Sprintf(`{"apiVersion":%q,"kind":%q,"releases":[{"version":"v1.33.7+k3s1","components":{%s},"source":{"repo":"k3s-io/docs","path":%q,"commit":"%s"}}]}`,
			release.APIVersion, release.Kind, strings.Join(cs, ","), path, commit))
	}
	if _, err := release.Decode(row(maxComponents, strings.Repeat("p", maxField))); err != nil {
		t.Errorf("at the bounds: %v", err)
	}
	for name, data := range map[string][]byte{
		"components":   row(maxComponents+1, "p"),
		"source field": row(1, strings.Repeat("p", maxField+1)),
	} {
		if _, err := release.Decode(data); !errors.Is(err, release.ErrBadData) {
			t.Errorf("one over the bound of %s: %v", name, err)
		}
	}
}
