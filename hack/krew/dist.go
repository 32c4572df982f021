package krew

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// ChecksumsFile is written by "make dist" beside the archives, in sha256sum format.
const ChecksumsFile = "checksums.txt"

var archiveRE = regexp.MustCompile(`^kubectl-skew_(v[^_]+)_([a-z0-9]+)_([a-z0-9]+)\.(tar\.gz|zip)$`)

// Dist is the output of one "make dist": the archives of a single version and their sums.
type Dist struct {
	Dir  string
	Tag  string
	Sums map[string]string // archive file name -> sha256
}

// ReadDist reads dir/checksums.txt. All archives must share one version, which becomes the tag.
func ReadDist(dir string) (*Dist, error) {
	f, err := os.Open(filepath.Join(dir, ChecksumsFile))
	if err != nil {
		return nil, fmt.Errorf("read the archives of make dist: %w", err)
	}
	defer f.Close()
	d := &Dist{Dir: dir, Sums: map[string]string{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		m := archiveRE.FindStringSubmatch(name)
		if !ok || m == nil || len(sum) != sha256.Size*2 {
			return nil, fmt.Errorf("%s: unexpected line %q", f.Name(), sc.Text())
		}
		if d.Tag != "" && d.Tag != m[1] {
			return nil, fmt.Errorf("%s mixes versions %s and %s: run make dist again", f.Name(), d.Tag, m[1])
		}
		d.Tag = m[1]
		d.Sums[name] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Name(), err)
	}
	if len(d.Sums) == 0 {
		return nil, fmt.Errorf("%s lists no archives", f.Name())
	}
	return d, nil
}

// Platforms are the os/arch pairs of the archives, sorted.
func (d *Dist) Platforms() []string {
	var out []string
	for name := range d.Sums {
		if m := archiveRE.FindStringSubmatch(name); m != nil {
			out = append(out, m[2]+"/"+m[3])
		}
	}
	sort.Strings(out)
	return out
}

// SHA256 resolves a release uri to the local archive of the same name. It hashes the file
// rather than trusting checksums.txt alone, so a stale or edited archive is caught here.
func (d *Dist) SHA256(uri string) (string, error) {
	want := ReleaseURLPrefix + d.Tag + "/"
	if !strings.HasPrefix(uri, want) {
		return "", fmt.Errorf("uri %s: want it under %s", uri, want)
	}
	name := ArchiveName(uri)
	listed, ok := d.Sums[name]
	if !ok {
		return "", fmt.Errorf("uri %s: %s is not in %s (is the platform missing from make dist?)", uri, name, ChecksumsFile)
	}
	got, err := FileSHA256(filepath.Join(d.Dir, name))
	if err != nil {
		return "", err
	}
	if got != listed {
		return "", fmt.Errorf("%s: sha256 %s, but %s says %s: run make dist again", name, got, ChecksumsFile, listed)
	}
	return got, nil
}

// FileSHA256 hashes a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
