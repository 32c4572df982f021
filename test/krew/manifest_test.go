package krew_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/krew/pkg/constants"
	"sigs.k8s.io/krew/pkg/index"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/hack/krew"
)

// platforms is what every manifest must offer, each exactly once.
var platforms = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

var (
	semverRE = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	sha256RE = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

// TestIndexManifest checks the committed manifest of our own index as krew reads it.
func TestIndexManifest(t *testing.T) {
	data, err := os.ReadFile(repoPath(indexManifest))
	if err != nil {
		t.Fatal(err)
	}
	checkManifest(t, indexManifest, data)
}

// TestTemplateRendersIndexManifest proves plugins/skew.yaml is the rendering of .krew.yaml for
// its version: description, caveats, files, bins and uris cannot drift between the central
// index and ours. The sha256s are taken from plugins/skew.yaml itself here; that they are the
// real archives' is TestDistMatchesIndexManifest's job.
func TestTemplateRendersIndexManifest(t *testing.T) {
	want, err := os.ReadFile(repoPath(indexManifest))
	if err != nil {
		t.Fatal(err)
	}
	tag, sha, err := krew.Published(want)
	if err != nil {
		t.Fatal(err)
	}
	if got := render(t, tag, sha); !bytes.Equal(got, want) {
		t.Fatalf("%s differs from %s rendered for %s: run make krew-manifest-refresh\n%s",
			indexManifest, templateFile, tag, firstDiff(want, got))
	}
}

// TestDistManifest renders .krew.yaml for the archives of make dist and checks that every
// platform's archive holds what the manifest tells krew to take from it. A release's dist/
// holds every platform; make test builds a sample (this machine's, one darwin, one
// windows: each binary format and archive kind), which must include this machine's.
func TestDistManifest(t *testing.T) {
	skipShort(t)
	d := requireDist(t)
	data := render(t, d.Tag, sampleSHA256(d))
	p := checkManifest(t, "skew.yaml (rendered for dist/)", data)
	if host := runtime.GOOS + "/" + runtime.GOARCH; !slices.Contains(d.Platforms(), host) {
		t.Errorf("dist/ has no archive for this machine (%s), only %v", host, d.Platforms())
	}
	if len(d.Platforms()) < len(platforms) {
		t.Logf("dist/ holds %v of the %d platforms; a release's make dist builds them all", d.Platforms(), len(platforms))
	}
	for _, pl := range p.Spec.Platforms {
		name := krew.ArchiveName(pl.URI)
		if _, ok := d.Sums[name]; !ok {
			continue
		}
		t.Run(pl.Selector.MatchLabels["os"]+"_"+pl.Selector.MatchLabels["arch"], func(t *testing.T) {
			a := readArchive(t, filepath.Join(d.Dir, name))
			for _, f := range pl.Files {
				if _, ok := a[f.From]; !ok {
					t.Errorf("files: %s is not in the archive (it has %v)", f.From, a.names())
				}
			}
			bin, ok := a[pl.Bin]
			if !ok {
				t.Fatalf("bin %s is not in the archive (it has %v)", pl.Bin, a.names())
			}
			if bin.mode&0o111 == 0 {
				t.Errorf("bin %s has mode %o, not executable", pl.Bin, bin.mode)
			}
			checkBinary(t, bin.data, pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"])
			for _, f := range []string{"LICENSE", "README.md"} {
				if _, ok := a[f]; !ok {
					t.Errorf("%s is not in the archive", f)
				}
			}
		})
	}
}

// TestDistMatchesIndexManifest holds plugins/skew.yaml to the real archives whenever dist/
// was built for its version (the release job does exactly that before it publishes).
func TestDistMatchesIndexManifest(t *testing.T) {
	skipShort(t)
	d := requireDist(t)
	want, err := os.ReadFile(repoPath(indexManifest))
	if err != nil {
		t.Fatal(err)
	}
	p := parseManifest(t, indexManifest, want)
	if p.Spec.Version != d.Tag {
		t.Logf("%s is for %s and dist/ holds %s: nothing to compare byte for byte "+
			"(TestTemplateRendersIndexManifest still covers everything but the sha256s)", indexManifest, p.Spec.Version, d.Tag)
		return
	}
	if got := render(t, d.Tag, d.SHA256); !bytes.Equal(got, want) {
		t.Fatalf("%s does not match the archives in dist/: run make krew-manifest\n%s", indexManifest, firstDiff(want, got))
	}
}

func render(t *testing.T, tag string, sha krew.SHA256Func) []byte {
	t.Helper()
	tmpl, err := os.ReadFile(repoPath(templateFile))
	if err != nil {
		t.Fatal(err)
	}
	out, err := krew.Render(tmpl, tag, sha)
	if err != nil {
		t.Fatalf("render %s: %v", templateFile, err)
	}
	return out
}

// parseManifest decodes strictly: a misspelt field would be silently dropped by krew.
func parseManifest(t *testing.T, name string, data []byte) index.Plugin {
	t.Helper()
	var p index.Plugin
	if err := yaml.UnmarshalStrict(data, &p); err != nil {
		t.Fatalf("%s does not parse as a krew plugin: %v", name, err)
	}
	return p
}

// checkManifest holds a manifest to what krew and the krew-index reviewers require, and to our
// own conventions: one platform per os/arch, release uris, explicit files.
func checkManifest(t *testing.T, name string, data []byte) index.Plugin {
	t.Helper()
	p := parseManifest(t, name, data)
	if p.APIVersion != constants.CurrentAPIVersion || p.Kind != constants.PluginKind {
		t.Errorf("%s: apiVersion/kind %s/%s, want %s/%s", name, p.APIVersion, p.Kind, constants.CurrentAPIVersion, constants.PluginKind)
	}
	if base := strings.TrimSuffix(filepath.Base(indexManifest), constants.ManifestExtension); p.Name != base {
		t.Errorf("%s: metadata.name %q, want %q (the file name)", name, p.Name, base)
	}
	s := p.Spec
	if !semverRE.MatchString(s.Version) {
		t.Errorf("%s: version %q is not a v-prefixed semver", name, s.Version)
	}
	if s.ShortDescription == "" || strings.ContainsAny(s.ShortDescription, "\r\n") {
		t.Errorf("%s: shortDescription %q must be one non-empty line", name, s.ShortDescription)
	}
	for field, v := range map[string]string{"description": s.Description, "caveats": s.Caveats, "homepage": s.Homepage} {
		if strings.TrimSpace(v) == "" {
			t.Errorf("%s: %s is empty", name, field)
		}
	}
	seen := map[string]bool{}
	for i, pl := range s.Platforms {
		if pl.Selector == nil || len(pl.Selector.MatchLabels) != 2 {
			t.Errorf("%s: platforms[%d] needs a selector matching exactly os and arch, has %v", name, i, pl.Selector)
			continue
		}
		goos, arch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		key := goos + "/" + arch
		if seen[key] {
			t.Errorf("%s: %s appears twice", name, key)
		}
		seen[key] = true
		bin, ext := "kubectl-skew", ".tar.gz"
		if goos == "windows" {
			bin, ext = "kubectl-skew.exe", ".zip"
		}
		wantURI := fmt.Sprintf("%s%s/kubectl-skew_%s_%s_%s%s", krew.ReleaseURLPrefix, s.Version, s.Version, goos, arch, ext)
		if pl.URI != wantURI {
			t.Errorf("%s: %s uri %q, want %q", name, key, pl.URI, wantURI)
		}
		if !sha256RE.MatchString(pl.Sha256) {
			t.Errorf("%s: %s sha256 %q is not 64 lowercase hex digits", name, key, pl.Sha256)
		}
		if pl.Bin != bin {
			t.Errorf("%s: %s bin %q, want %q", name, key, pl.Bin, bin)
		}
		from := map[string]bool{}
		for _, f := range pl.Files {
			from[f.From] = f.To == "."
		}
		for _, f := range []string{bin, "LICENSE"} {
			if !from[f] {
				t.Errorf("%s: %s files must copy %s to .", name, key, f)
			}
		}
	}
	for _, k := range platforms {
		if !seen[k] {
			t.Errorf("%s: no platform for %s", name, k)
		}
	}
	if len(s.Platforms) != len(platforms) {
		t.Errorf("%s: %d platforms, want %d", name, len(s.Platforms), len(platforms))
	}
	return p
}

// firstDiff shows where two texts part, enough to see what to regenerate.
func firstDiff(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("first difference at line %d:\n  committed: %q\n  rendered:  %q", i+1, wl, gl)
		}
	}
	return "no line differs (line endings?)"
}
