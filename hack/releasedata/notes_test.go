package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var v128 = version.MinorVersion{Major: 1, Minor: 28}

// testRepo is a throwaway git repository of a docs site.
type testRepo struct {
	t   *testing.T
	dir string
}

func newRepo(t *testing.T) *testRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &testRepo{t: t, dir: t.TempDir()}
	r.git("init", "-q")
	return r
}

func (r *testRepo) git(args ...string) string {
	r.t.Helper()
	cmd := exec.Command("git", append([]string{"-C", r.dir, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes (or, for "", removes) files and commits; it returns the commit.
func (r *testRepo) commit(msg string, files map[string]string) string {
	r.t.Helper()
	for name, text := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if text == "" {
			r.git("rm", "-q", name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			r.t.Fatal(err)
		}
		r.git("add", name)
	}
	r.git("commit", "-q", "-m", msg)
	return r.git("rev-parse", "HEAD")
}

// A file deleted from HEAD is read at the parent of the commit that deleted it, and its
// rows name that parent; a file at HEAD is read at HEAD; a file older than -min is not read.
func TestReadNotesFromGitHistory(t *testing.T) {
	r := newRepo(t)
	old1 := "| Version | Etcd |\n|-|-|\n| v1.39.1+k3s1 | v3.9.1 |\n"
	old2 := "| Version | Etcd |\n|-|-|\n| v1.39.2+k3s1 | v3.9.2 |\n" + old1[len("| Version | Etcd |\n|-|-|\n"):]
	cur := "| Version | Etcd |\n|-|-|\n| v1.40.1+k3s1 | v3.9.5 |\n"
	r.commit("add", map[string]string{"docs/release-notes/v1.39.X.md": old1, "docs/release-notes/v1.27.X.md": old1, "README.md": "docs\n"})
	last := r.commit("update", map[string]string{"docs/release-notes/v1.39.X.md": old2})
	deleting := r.commit("drop v1.39", map[string]string{"docs/release-notes/v1.39.X.md": ""})
	head := r.commit("add v1.40", map[string]string{"docs/release-notes/v1.40.X.md": cur, "docs/release-notes/notes.md": "not a release file\n"})

	check := func(dir string) {
		t.Helper()
		files, warns, err := readNotes(dir, "example/docs", v128)
		if err != nil || len(warns) != 0 {
			t.Fatalf("readNotes(%s): warnings %q, error %v", dir, warns, err)
		}
		if len(files) != 2 {
			t.Fatalf("%d files, want v1.39 and v1.40: %+v", len(files), files)
		}
		f := files[0]
		if f.Source.Path != "docs/release-notes/v1.39.X.md" || f.Source.Commit != last || string(f.Text) != old2 || f.Source.Repo != "example/docs" {
			t.Errorf("deleted file read as %+v %q, want it at %s", f.Source, f.Text, last)
		}
		if !strings.Contains(f.How, "the parent of "+deleting) {
			t.Errorf("deleted file: how %q does not name the deleting commit %s", f.How, deleting)
		}
		if f := files[1]; f.Source.Commit != head || string(f.Text) != cur || f.How != "HEAD" {
			t.Errorf("file at HEAD read as %+v %q, want it at %s", f.Source, f.Text, head)
		}
		rows, _, err := parseTable(tableInput{Text: files[0].Text, Where: "x", Distro: version.K3s, Min: v128, Source: files[0].Source})
		if err != nil || len(rows) != 2 || rows[0].R.Source.Commit != last {
			t.Errorf("rows %+v, error %v: want two rows naming %s", rows, err, last)
		}
	}
	check(r.dir)

	// The same from a bare clone, as the mirrors are.
	bare := filepath.Join(t.TempDir(), "docs.git")
	r.git("clone", "-q", "--bare", r.dir, bare)
	check(bare)

	// A subdirectory of a checkout is not the checkout.
	if _, _, err := readNotes(filepath.Join(r.dir, "docs"), "example/docs", v128); err == nil || !strings.Contains(err.Error(), "neither the top of a git checkout") {
		t.Errorf("subdirectory: error %v", err)
	}
}

// The partial copy: files from the directory, commits from SOURCES.tsv.
func TestReadNotesFromPartialCopy(t *testing.T) {
	dir := t.TempDir()
	notes := filepath.Join(dir, "docs", "release-notes")
	if err := os.MkdirAll(notes, 0o755); err != nil {
		t.Fatal(err)
	}
	commit := strings.Repeat("0123456789", 4)
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("docs/release-notes/v1.40.X.md", "| Version | Etcd |\n|-|-|\n| v1.40.1+k3s1 | v3.9.5 |\n")
	write("docs/release-notes/v1.20.X.md", "old\n")
	write(sourcesFile, "# file\tcommit\tnote\nv1.40.X.md\t"+commit+"\tnewest row v1.40.1+k3s1\nv1.41.X.md\t"+commit+"\n")
	files, warns, err := readNotes(dir, "example/docs", v128)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Source.Commit != commit || files[0].Source.Path != "docs/release-notes/v1.40.X.md" || !strings.Contains(files[0].How, "newest row") {
		t.Errorf("files %+v", files)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "names v1.41.X.md, which is not in") {
		t.Errorf("warnings %q", warns)
	}

	write("docs/release-notes/v1.42.X.md", "| Version |\n|-|\n")
	if _, _, err := readNotes(dir, "example/docs", v128); err == nil || !strings.Contains(err.Error(), "v1.42.X.md: SOURCES.tsv names no commit for it") {
		t.Errorf("a file without a commit: error %v", err)
	}
	write(sourcesFile, "v1.40.X.md\tabc123\n")
	if _, _, err := readNotes(dir, "example/docs", v128); err == nil || !strings.Contains(err.Error(), "SOURCES.tsv line 1: want") {
		t.Errorf("a short commit: error %v", err)
	}
	if _, _, err := readNotes(t.TempDir(), "example/docs", v128); err == nil || !strings.Contains(err.Error(), "nor a partial copy with SOURCES.tsv") {
		t.Errorf("an empty directory: error %v", err)
	}
}
