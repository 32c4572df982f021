package krew_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/hack/krew"
	"github.com/kubectl-skew/kubectl-skew/test/sandbox"
)

// oldTag is older than anything make dist can name (a numeric pre-release sorts first).
const oldTag = "v0.0.0-0"

// installManifest is the manifest to install dist/ with: plugins/skew.yaml itself when dist/
// was built for its version (a release), else the same template rendered for dist/.
func installManifest(t *testing.T, d *krew.Dist) string {
	t.Helper()
	committed, err := os.ReadFile(repoPath(indexManifest))
	if err != nil {
		t.Fatal(err)
	}
	if p := parseManifest(t, indexManifest, committed); p.Spec.Version == d.Tag {
		path, _ := filepath.Abs(repoPath(indexManifest))
		return path
	}
	t.Logf("%s is not for %s: installing %s rendered for dist/", indexManifest, d.Tag, templateFile)
	return writeFile(t, filepath.Join(t.TempDir(), "skew.yaml"), render(t, d.Tag, sampleSHA256(d)))
}

// TestKrewInstallFromArchive is the offline install a reviewer runs: --manifest and --archive,
// then the plugin through kubectl, then uninstall.
func TestKrewInstallFromArchive(t *testing.T) {
	skipShort(t)
	d := requireDist(t)
	e := newKrewEnv(t)
	manifest := installManifest(t, d)

	e.must("krew", "install", "--manifest="+manifest, "--archive="+hostArchive(d))
	e.wantVersion(d.Tag)
	if out := e.must("plugin", "list"); !strings.Contains(out, filepath.Join(e.root, "bin", "kubectl-skew")) {
		t.Errorf("kubectl plugin list does not show krew's kubectl-skew:\n%s", out)
	}
	if out := e.must("krew", "list"); !strings.Contains(out, "skew") {
		t.Errorf("krew list does not show skew:\n%s", out)
	}

	// The installed plugin against a real kube-apiserver: 3 K3s servers and 5 agents, no error.
	sb := startSandbox(t, "k3s-healthy-ha")
	out := e.must("skew", "check", "--kubeconfig", sb.Kubeconfig)
	if first, _, _ := strings.Cut(out, "\n"); !strings.HasPrefix(first, "K3s cluster, control plane v1.30.14+k3s1, 8 nodes") {
		t.Errorf("kubectl skew check against the sandbox:\n%s", out)
	}

	e.must("krew", "uninstall", "skew")
	e.wantNoPlugin()
}

// TestKrewRefusesCorruptArchive flips one byte of the archive: krew must refuse it on its
// sha256 and leave nothing installed.
func TestKrewRefusesCorruptArchive(t *testing.T) {
	skipShort(t)
	d := requireDist(t)
	e := newKrewEnv(t)
	data, err := os.ReadFile(hostArchive(d))
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	bad := writeFile(t, filepath.Join(t.TempDir(), filepath.Base(hostArchive(d))), data)

	out, err := e.kubectl("krew", "install", "--manifest="+installManifest(t, d), "--archive="+bad)
	if err == nil {
		t.Fatalf("krew installed a corrupted archive:\n%s", out)
	}
	if !strings.Contains(out, "checksum does not match") {
		t.Errorf("krew failed, but not on the checksum:\n%s", out)
	}
	e.wantNoPlugin()
}

// TestKrewIndexUpgrade walks the README's path through our own index: krew index add, krew
// install skew/skew, a new version lands in the index, krew upgrade, completion as the caveats
// say, krew uninstall. The index is a local git repository and the release downloads come
// from a local server; the manifests are .krew.yaml rendered for each version.
func TestKrewIndexUpgrade(t *testing.T) {
	skipShort(t)
	d := requireDist(t)
	old := buildOld(t)
	e := newKrewEnv(t)
	files := distFiles(d)
	for k, v := range distFiles(old) {
		files[k] = v
	}
	local := serveArchives(t, files)

	repo := filepath.Join(t.TempDir(), "index")
	publish := func(tag string, sha krew.SHA256Func) {
		writeFile(t, filepath.Join(repo, indexManifest), local(render(t, tag, sha)))
		git(t, repo, "add", indexManifest)
		git(t, repo, "commit", "-q", "-m", "skew "+tag)
	}
	git(t, "", "init", "-q", repo)
	// The old release exists for this machine only; krew never downloads the other platforms.
	publish(oldTag, sampleSHA256(old))

	e.must("krew", "index", "add", "skew", repo)
	e.must("krew", "install", "skew/skew")
	e.wantVersion(oldTag)

	publish(d.Tag, sampleSHA256(d))
	if out := e.must("krew", "upgrade"); !strings.Contains(out, "Upgraded plugin: skew/skew") {
		t.Fatalf("krew upgrade did not upgrade skew/skew:\n%s", out)
	}
	e.wantVersion(d.Tag)

	enableCompletionAsCaveatsSay(t, e, d)
	e.must("krew", "uninstall", "skew")
	e.wantNoPlugin()
}

// enableCompletionAsCaveatsSay runs the command the caveats give, then completes
// "kubectl skew <TAB>" through kubectl, which must find kubectl_complete-skew on PATH.
func enableCompletionAsCaveatsSay(t *testing.T, e *krewEnv, d *krew.Dist) {
	t.Helper()
	if runtime.GOOS == "windows" {
		return
	}
	p := parseManifest(t, templateFile, render(t, d.Tag, sampleSHA256(d)))
	var cmd string
	for _, line := range strings.Split(p.Spec.Caveats, "\n") {
		if l := strings.TrimSpace(line); strings.HasPrefix(l, "cp ") && strings.Contains(l, "kubectl_complete-skew") {
			cmd = l
		}
	}
	if cmd == "" {
		t.Fatalf("the caveats give no cp command for kubectl_complete-skew:\n%s", p.Spec.Caveats)
	}
	if out, err := e.exec("/bin/sh", "-c", cmd); err != nil {
		t.Fatalf("the caveats' command fails: %v\n%s", err, out)
	}
	out := e.must("__complete", "skew", "")
	for _, sub := range []string{"check", "version"} {
		if !strings.Contains(out, sub+"\t") {
			t.Errorf("kubectl __complete skew does not offer %q:\n%s", sub, out)
		}
	}
}

// buildOld makes a release of an older version for this machine's platform, through the same
// make target, so that there is something to upgrade from.
func buildOld(t *testing.T) *krew.Dist {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "-C", root, "dist",
		"VERSION="+oldTag, "DIST="+dir, "PLATFORMS="+runtime.GOOS+"/"+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist VERSION=%s: %v\n%s", oldTag, err, out)
	}
	d, err := krew.ReadDist(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	args = append([]string{"-c", "user.name=kubectl-skew tests", "-c", "user.email=tests@kubectl-skew.invalid"}, args...)
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// startSandbox runs etcd and kube-apiserver seeded with scenario, for as long as the test.
func startSandbox(t *testing.T, scenario string) *sandbox.Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sb, err := sandbox.Start(ctx, sandbox.Options{Scenario: scenario})
	if errors.Is(err, sandbox.ErrToolsMissing) {
		t.Fatalf("%v\nrun make tools", err)
	}
	if err != nil {
		t.Fatalf("start the sandbox: %v", err)
	}
	t.Cleanup(sb.Stop)
	return sb
}
