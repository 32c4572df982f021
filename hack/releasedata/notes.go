package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// notesDir is where both docs repositories keep one release-notes file per minor;
// archiveDir is where rancher/rke2-docs moves the files of minors past their end of life.
const (
	notesDir   = "docs/release-notes"
	archiveDir = "docs/release-notes-old"
)

// sourcesFile lists, in a partial copy, the commit each file was read at.
const sourcesFile = "SOURCES.tsv"

var (
	notesName = regexp.MustCompile(`^v1\.(0|[1-9][0-9]{0,3})\.X\.md$`)
	fullSHA1  = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// notesFile is one release-notes file's text and where it was read.
type notesFile struct {
	Minor  version.MinorVersion
	Source release.Source // Repo, Path and the commit the text was read at
	Text   []byte
	How    string // "HEAD", "the parent of <commit>, which deleted it", or SOURCES.tsv's note
}

// notesMinor is the minor a release-notes file name is for; ok is false for any other name.
func notesMinor(name string) (version.MinorVersion, bool) {
	m := notesName.FindStringSubmatch(name)
	if m == nil {
		return version.MinorVersion{}, false
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	return version.MinorVersion{Major: 1, Minor: n}, err == nil
}

// readNotes reads the newest version of every release-notes file of minor min or later
// from dir: a git checkout of the docs repository (a work tree or a bare git dir), or a
// partial copy of it that names each file's commit in SOURCES.tsv. Warnings come back
// for the partial copy's oddities; oldest minor first.
func readNotes(dir, repo string, min version.MinorVersion) ([]notesFile, []string, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, nil, fmt.Errorf("%s: not a directory; give a checkout of %s", dir, repo)
	}
	top, err := isGitTop(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", dir, err)
	}
	if top {
		files, err := readGit(dir, repo, min)
		return files, nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, sourcesFile)); err == nil {
		return readCopy(dir, repo, min)
	}
	return nil, nil, fmt.Errorf("%s: neither the top of a git checkout of %s (work tree or bare) nor a partial copy with %s", dir, repo, sourcesFile)
}

// isGitTop reports whether dir is a repository's work tree top or its git dir. A
// directory inside some other checkout (a partial copy under this repository) is not.
func isGitTop(dir string) (bool, error) {
	want, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false, err
	}
	want, _ = filepath.Abs(want)
	gitDir, err := git(dir, "rev-parse", "--absolute-git-dir")
	if err != nil {
		if strings.Contains(err.Error(), "not a git repository") {
			return false, nil
		}
		return false, err
	}
	top, _ := git(dir, "rev-parse", "--show-toplevel") // fails in a bare repository
	for _, p := range []string{string(gitDir), string(top)} {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if q, err := filepath.EvalSymlinks(p); err == nil && q == want {
			return true, nil
		}
	}
	return false, nil
}

// readGit reads each file at HEAD, or, when HEAD no longer has it, at the parent of the
// commit that deleted it: its last version.
func readGit(dir, repo string, min version.MinorVersion) ([]notesFile, error) {
	out, err := git(dir, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dir, err)
	}
	head := strings.TrimSpace(string(out))
	atHead, err := git(dir, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", notesDir+"/", archiveDir+"/")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dir, err)
	}
	ever, err := git(dir, "log", "--format=", "--name-only", "--no-renames", "-z", "HEAD", "--", notesDir+"/")
	if err != nil {
		return nil, fmt.Errorf("%s: %v", dir, err)
	}
	present := map[string]bool{}
	for _, p := range splitNames(atHead) {
		present[p] = true
	}
	// One file per minor: at HEAD in notesDir, else at HEAD in archiveDir (where it
	// kept growing after the move), else its last version in notesDir's history.
	rank := func(p string) int {
		switch {
		case present[p] && path.Dir(p) == notesDir:
			return 0
		case present[p]:
			return 1
		}
		return 2
	}
	chosen := map[version.MinorVersion]string{}
	for _, p := range append(splitNames(atHead), splitNames(ever)...) {
		m, ok := notesMinor(path.Base(p))
		if !ok || m.Compare(min) < 0 || (path.Dir(p) != notesDir && path.Dir(p) != archiveDir) {
			continue
		}
		if cur, seen := chosen[m]; !seen || rank(p) < rank(cur) {
			chosen[m] = p
		}
	}
	paths := map[string]version.MinorVersion{}
	for m, p := range chosen {
		paths[p] = m
	}
	var files []notesFile
	for p, m := range paths {
		f := notesFile{Minor: m, Source: release.Source{Repo: repo, Path: p}}
		if present[p] {
			f.Source.Commit, f.How = head, "HEAD"
		} else if f.Source.Commit, f.How, err = lastVersion(dir, p); err != nil {
			return nil, fmt.Errorf("%s %s: %v", repo, p, err)
		}
		if !fullSHA1.MatchString(f.Source.Commit) {
			return nil, fmt.Errorf("%s %s: commit %q is not a full SHA-1 hash", repo, p, clip(f.Source.Commit))
		}
		if f.Text, err = git(dir, "cat-file", "blob", f.Source.Commit+":"+p); err != nil {
			return nil, fmt.Errorf("%s %s: %v", repo, p, err)
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Minor.Compare(files[j].Minor) < 0 })
	return files, nil
}

// lastVersion finds the commit that deleted p from HEAD's history and returns its
// parent that still has p (for a merge, the first such parent).
func lastVersion(dir, p string) (commit, how string, err error) {
	out, err := git(dir, "rev-list", "-n", "1", "HEAD", "--", p)
	if err != nil {
		return "", "", err
	}
	deleted := strings.TrimSpace(string(out))
	if deleted == "" {
		return "", "", fmt.Errorf("no commit in HEAD's history touches it")
	}
	out, err = git(dir, "rev-list", "--parents", "-n", "1", deleted)
	if err != nil {
		return "", "", err
	}
	for _, parent := range strings.Fields(string(out))[1:] {
		if _, err := git(dir, "cat-file", "-e", parent+":"+p); err == nil {
			return parent, "the parent of " + deleted + ", which deleted it", nil
		}
	}
	return "", "", fmt.Errorf("deleted by %s, and no parent of it in this clone has it (a shallow clone?)", deleted)
}

func splitNames(b []byte) []string {
	var out []string
	for _, s := range strings.Split(string(b), "\x00") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// readCopy reads a partial copy of the docs repository: the files under
// docs/release-notes/ as they were at the commit SOURCES.tsv names for each
// ("v1.33.X.md<TAB>commit<TAB>note"). It serves where the repository could not be
// cloned whole; the commit is taken on the copier's word, and a file the list does not
// name is an error, since its row could not say where it came from.
func readCopy(dir, repo string, min version.MinorVersion) ([]notesFile, []string, error) {
	listPath := filepath.Join(dir, sourcesFile)
	list, err := readBounded(listPath)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", listPath, err)
	}
	type source struct{ commit, note string }
	sources := map[string]source{}
	sc := bufio.NewScanner(bytes.NewReader(list))
	sc.Buffer(make([]byte, 64<<10), maxText)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		name := path.Base(strings.TrimSpace(f[0]))
		if _, ok := notesMinor(name); !ok || len(f) < 2 || !fullSHA1.MatchString(strings.TrimSpace(f[1])) {
			return nil, nil, fmt.Errorf("%s line %d: want v1.NN.X.md<TAB>40-hex commit<TAB>note, got %q", listPath, n, clip(line))
		}
		if _, dup := sources[name]; dup {
			return nil, nil, fmt.Errorf("%s line %d: %s is listed twice", listPath, n, name)
		}
		s := source{commit: strings.TrimSpace(f[1])}
		if len(f) == 3 {
			s.note = strings.TrimSpace(f[2])
		}
		sources[name] = s
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", listPath, err)
	}
	entries, err := os.ReadDir(filepath.Join(dir, filepath.FromSlash(notesDir)))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", dir, err)
	}
	var files []notesFile
	var warns []string
	found := map[string]bool{}
	for _, e := range entries {
		m, ok := notesMinor(e.Name())
		if !ok || e.IsDir() {
			continue
		}
		found[e.Name()] = true
		if m.Compare(min) < 0 {
			continue
		}
		p := notesDir + "/" + e.Name()
		s, ok := sources[e.Name()]
		if !ok {
			return nil, nil, fmt.Errorf("%s: %s names no commit for it", filepath.Join(dir, filepath.FromSlash(p)), sourcesFile)
		}
		text, err := readBounded(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", filepath.Join(dir, filepath.FromSlash(p)), err)
		}
		how := "the commit " + sourcesFile + " names"
		if s.note != "" {
			how += " (" + s.note + ")"
		}
		files = append(files, notesFile{Minor: m, Source: release.Source{Repo: repo, Path: p, Commit: s.commit}, Text: text, How: how})
	}
	for name := range sources {
		if m, _ := notesMinor(name); !found[name] && m.Compare(min) >= 0 {
			warns = append(warns, fmt.Sprintf("%s: names %s, which is not in %s", listPath, name, filepath.Join(dir, filepath.FromSlash(notesDir))))
		}
	}
	sort.Strings(warns)
	sort.Slice(files, func(i, j int) bool { return files[i].Minor.Compare(files[j].Minor) < 0 })
	return files, warns, nil
}

// readBounded reads a file of at most maxText bytes (a FIFO or /dev/zero fails on size).
func readBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxText+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxText {
		return nil, fmt.Errorf("larger than the limit of %d bytes", maxText)
	}
	return b, nil
}

// git runs git in dir with its arguments as a list (no shell) and returns its output; an
// error is one line: the command and git's first line of complaint.
func git(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "GIT_TERMINAL_PROMPT=0", "GIT_PAGER=cat")
	var stdout, stderr capped
	stdout.max, stderr.max = maxText, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if stdout.over {
		return nil, fmt.Errorf("git %s: more than %d bytes of output", strings.Join(args, " "), maxText)
	}
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("git is not installed: %v", err)
		}
		msg := strings.TrimSpace(stderr.b.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return stdout.b.Bytes(), nil
}

// capped keeps at most max bytes and notes that there were more.
type capped struct {
	b    bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.b.Len(); len(p) > room {
		c.over = true
		if room > 0 {
			c.b.Write(p[:room])
		}
		return len(p), nil
	}
	return c.b.Write(p)
}
