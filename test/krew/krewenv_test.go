package krew_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/hack/krew"
)

// krewEnv is a user's workstation in miniature: a KREW_ROOT, a HOME and a PATH of their own,
// with kubectl and the pinned krew (as the kubectl-krew plugin) and nothing else of ours.
type krewEnv struct {
	t           *testing.T
	root        string // KREW_ROOT
	kubectlPath string
	env         []string
}

func newKrewEnv(t *testing.T) *krewEnv {
	t.Helper()
	krewBin := requireTool(t, "krew")
	kubectl := requireKubectl(t)
	base := t.TempDir()
	e := &krewEnv{t: t, root: filepath.Join(base, "krew"), kubectlPath: filepath.Join(base, "tools", "kubectl")}
	home := filepath.Join(base, "home")
	for _, d := range []string{e.root, home, filepath.Dir(e.kubectlPath)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link(t, kubectl, e.kubectlPath)
	link(t, krewBin, filepath.Join(base, "tools", "kubectl-krew"))
	// krew's bin first, as its setup tells users; /usr/bin and /bin only for git and sh.
	path := strings.Join([]string{filepath.Join(e.root, "bin"), filepath.Dir(e.kubectlPath), "/usr/bin", "/bin"}, string(os.PathListSeparator))
	e.env = []string{
		"PATH=" + path,
		"HOME=" + home,
		"KREW_ROOT=" + e.root,
		"KREW_NO_UPGRADE_CHECK=1",
		"KUBECONFIG=" + filepath.Join(home, ".kube", "config"),
		"NO_COLOR=1",
	}
	// Every krew install has the central index; an empty local stand-in keeps the commands that
	// insist on one (list, uninstall) working offline.
	central := filepath.Join(base, "central-index")
	git(t, "", "init", "-q", central)
	git(t, central, "commit", "-q", "--allow-empty", "-m", "an empty central index")
	e.env = append(e.env, "KREW_DEFAULT_INDEX_URI="+central)
	e.must("krew", "update")
	return e
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// kubectl runs kubectl with args inside the environment and returns its combined output.
func (e *krewEnv) kubectl(args ...string) (string, error) {
	return e.exec(e.kubectlPath, args...)
}

func (e *krewEnv) exec(name string, args ...string) (string, error) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = e.env
	cmd.Dir = e.root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %s: %w", filepath.Base(name), strings.Join(args, " "), err)
	}
	return out.String(), err
}

// must runs kubectl and fails the test on error, showing the output.
func (e *krewEnv) must(args ...string) string {
	e.t.Helper()
	out, err := e.kubectl(args...)
	if err != nil {
		e.t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// wantVersion runs "kubectl skew version" through kubectl's plugin discovery.
func (e *krewEnv) wantVersion(tag string) {
	e.t.Helper()
	out := e.must("skew", "version")
	if !strings.Contains(out, tag) {
		e.t.Fatalf("kubectl skew version says %q, want %s", strings.TrimSpace(out), tag)
	}
}

// wantNoPlugin checks that kubectl no longer finds the plugin.
func (e *krewEnv) wantNoPlugin() {
	e.t.Helper()
	if out, err := e.kubectl("skew", "version"); err == nil {
		e.t.Fatalf("kubectl skew still runs after uninstall:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(e.root, "store", "skew")); !os.IsNotExist(err) {
		e.t.Fatalf("%s/store/skew is still there (%v)", e.root, err)
	}
}

// serveArchives serves files (url path -> local file) the way GitHub serves release assets,
// and returns how to turn a release uri into one of ours.
func serveArchives(t *testing.T, files map[string]string) func(manifest []byte) []byte {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := files[strings.TrimPrefix(r.URL.Path, "/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, f)
	}))
	t.Cleanup(srv.Close)
	return func(manifest []byte) []byte {
		return bytes.ReplaceAll(manifest, []byte(krew.ReleaseURLPrefix), []byte(srv.URL+"/"))
	}
}

// distFiles lists a dist's archives under the url paths of a release: <tag>/<name>.
func distFiles(d *krew.Dist) map[string]string {
	m := map[string]string{}
	for name := range d.Sums {
		m[d.Tag+"/"+name] = filepath.Join(d.Dir, name)
	}
	return m
}

// sampleSHA256 is d.SHA256 for the archives d holds, and a sha256 that matches nothing
// for the other platforms: krew downloads only this machine's archive, and a dist/ may
// hold a sample of the platforms (make test builds this machine's, one darwin and one
// windows; a release builds all).
func sampleSHA256(d *krew.Dist) krew.SHA256Func {
	return func(uri string) (string, error) {
		if _, ok := d.Sums[krew.ArchiveName(uri)]; !ok {
			return strings.Repeat("f", 64), nil // all digits would read as a YAML number
		}
		return d.SHA256(uri)
	}
}

// onlyArchivesOf drops from a rendered manifest the platforms whose archive d lacks.
func onlyArchivesOf(t *testing.T, manifest []byte, d *krew.Dist) []byte {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	spec, _ := m["spec"].(map[string]any)
	all, _ := spec["platforms"].([]any)
	kept := []any{}
	for _, p := range all {
		if uri, _ := p.(map[string]any)["uri"].(string); d.Sums[krew.ArchiveName(uri)] != "" {
			kept = append(kept, p)
		}
	}
	spec["platforms"] = kept
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
