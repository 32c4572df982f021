package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func runMain(t *testing.T, args ...string) (code int, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = realMain(args, &out, &errb)
	return code, errb.String()
}

// The whole program: both docs repositories and a page, written once, then unchanged,
// then -check finds no drift until the file is edited.
func TestRun(t *testing.T) {
	k3s := newRepo(t)
	k3s.commit("notes", map[string]string{"docs/release-notes/v1.40.X.md": k3sHeader + k3sRow(2, 1, 2, "Dec 19 2030") + k3sRow(1, 1, 1, "Aug 04 2030")})
	rke2 := newRepo(t)
	rke2.commit("notes", map[string]string{"docs/release-notes/v1.40.X.md": rke2Table})
	pages := t.TempDir()
	if err := os.MkdirAll(filepath.Join(pages, "k3s"), 0o755); err != nil {
		t.Fatal(err)
	}
	page := "url: https://example.com/v1.40.3+k3s1\ndate: \nnote: made up\n\n| Kubernetes | v1.40.3 |\n| Etcd | v3.9.3-k3s1 |\n| Traefik | - |\nnote: after the table\n"
	if err := os.WriteFile(filepath.Join(pages, "k3s", "v1.40.3+k3s1.md"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "releases.json")
	args := []string{"-k3s-docs", k3s.dir, "-rke2-docs", rke2.dir, "-pages", pages, "-o", out}

	code, stderr := runMain(t, args...)
	if code != 0 || !strings.Contains(stderr, "wrote "+out+": 5 releases (k3s 3, rke2 2)") {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, w := range []string{`column "Traefik": 1 of 2 rows have no traefik version`, "Traefik has no version",
		"https://example.com/v1.40.3+k3s1: v1.40.3+k3s1 lacks containerd, coredns, flannel, helm-controller, kine, local-path-provisioner, metrics-server, runc, sqlite, traefik, which v1.40.2+k3s1 ships"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("no warning %q in\n%s", w, stderr)
		}
	}
	data, _ := os.ReadFile(out)
	rs, err := release.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	x := release.NewIndex(rs, "test")
	r, ok := x.Lookup(version.MustParse("v1.40.3+k3s1"))
	if !ok || r.Source.URL != "https://example.com/v1.40.3+k3s1" || r.Components[release.Etcd] != "v3.9.3-k3s1" {
		t.Errorf("the page's release: %+v", r)
	}
	r, ok = x.Lookup(version.MustParse("v1.40.2+rke2r1"))
	if !ok || r.Source.Repo != "rancher/rke2-docs" || r.Source.Path != "docs/release-notes/v1.40.X.md" || len(r.Source.Commit) != 40 {
		t.Errorf("an RKE2 row's source: %+v", r)
	}

	info, _ := os.Stat(out)
	if code, stderr = runMain(t, args...); code != 0 || !strings.Contains(stderr, "is up to date") {
		t.Errorf("second run: exit %d:\n%s", code, stderr)
	}
	if again, _ := os.Stat(out); !again.ModTime().Equal(info.ModTime()) {
		t.Errorf("an unchanged file was rewritten")
	}
	if code, stderr = runMain(t, append(args, "-check")...); code != 0 {
		t.Errorf("-check on a fresh file: exit %d:\n%s", code, stderr)
	}

	edited := bytes.Replace(data, []byte("v3.9.3-k3s1"), []byte("v3.9.0-k3s1"), 1)
	if err := os.WriteFile(out, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr = runMain(t, append(args, "-check")...)
	last := strings.TrimSpace(stderr[strings.LastIndex(strings.TrimSpace(stderr), "\n")+1:])
	if code != 1 || last != "releasedata: "+out+": out of date: 0 added, 0 removed, 1 changed (first v1.40.3+k3s1 etcd v3.9.0-k3s1 vs v3.9.3-k3s1); run make release-data" {
		t.Errorf("-check on an edited file: exit %d, last line %q", code, last)
	}
	if now, _ := os.ReadFile(out); !bytes.Equal(now, edited) {
		t.Errorf("-check wrote the file")
	}
}

// Errors are one line naming the file, exit 1.
func TestRunErrors(t *testing.T) {
	r := newRepo(t)
	r.commit("notes", map[string]string{"docs/release-notes/v1.40.X.md": k3sHeader + k3sRow(1, 1, 1, "Aug 04 2030") + k3sRow(1, 1, 2, "Aug 04 2030")})
	out := filepath.Join(t.TempDir(), "releases.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-k3s-docs", r.dir, "-o", out}, "v1.40.1+k3s1 is listed twice with different components: k3s-io/docs docs/release-notes/v1.40.X.md line 3 and k3s-io/docs docs/release-notes/v1.40.X.md line 4"},
		{[]string{"-o", out}, "no input"},
		{[]string{"-k3s-docs", r.dir}, "-o: name the output file"},
		{[]string{"-k3s-docs", r.dir, "-o", out, "-min", "v2.1"}, `-min "v2.1"`},
		{[]string{"-k3s-docs", filepath.Join(r.dir, "nope"), "-o", out}, "nope: not a directory"},
	} {
		code, stderr := runMain(t, c.args...)
		if code != 1 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want one line with %q", c.args, code, stderr, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed run wrote %s", out)
	}
}

func TestParsePage(t *testing.T) {
	v := version.MustParse("v1.40.3+rke2r1")
	page := "url: https://example.com/r\ndate: Sept 5 2030\nnote: x\n\n| Component | Version |\n| --- | --- |\n" +
		"| Kubernetes | v1.40.3 |\n| Canal (Default) | Flannel v0.40.3<br/>Calico v3.50.3 |\n| Ingress-Nginx | nginx-1.20.3-hardened1 |\n| Spegel | v0.9.0 |\n| Etcd | N/A |\n"
	r, warns, err := parsePage([]byte(page), v, "p.md")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{release.Kubernetes: "v1.40.3", release.CanalFlannel: "v0.40.3", release.CanalCalico: "v3.50.3", release.IngressNginx: "v1.20.3-hardened1", "spegel": "v0.9.0"}
	if r.Date != "2030-09-05" || len(r.Components) != len(want) {
		t.Errorf("page read as %+v", r)
	}
	for k, cv := range want {
		if r.Components[k] != cv {
			t.Errorf("%s = %q, want %q", k, r.Components[k], cv)
		}
	}
	if len(warns) != 3 {
		t.Errorf("warnings %q, want the tag, the unknown component and the N/A", warns)
	}
	for _, bad := range []string{"date: x\n\n| Etcd | v3.9.1 |\n", "url: http://example.com\n\n| Etcd | v3.9.1 |\n", "url: https://x\nno colon\n\n| Etcd | v3.9.1 |\n",
		"url: https://x\n\n| Version | v1.40.4+rke2r1 |\n| Etcd | v3.9.1 |\n", "url: https://x\n\n| Etcd | v3.9.1 |\n| etcd | v3.9.2 |\n"} {
		if _, _, err := parsePage([]byte(bad), v, "p.md"); err == nil || !strings.HasPrefix(err.Error(), "p.md") {
			t.Errorf("page %q: error %v, want one naming the page", bad, err)
		}
	}
}
