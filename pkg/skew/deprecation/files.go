package deprecation

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// MaxFileBytes bounds one manifest file: more is not a manifest anyone applies.
const MaxFileBytes = 64 << 20

// ReadFiles reads -f arguments as kubectl apply -f does: a file, a directory (every
// .yaml, .yml and .json file under it, recursively), or "-" for stdin. A path that does
// not exist is an error; a document that does not parse is a Problem.
func ReadFiles(paths []string, stdin io.Reader) (*Scan, error) {
	s := &Scan{}
	for _, p := range paths {
		if p == "-" {
			if err := s.readFile("-", stdin); err != nil {
				return nil, err
			}
			continue
		}
		files, err := manifestFiles(p)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				return nil, fmt.Errorf("-f %s: %w", f, err)
			}
			err = s.readFile(f, fh)
			fh.Close()
			if err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (s *Scan) readFile(name string, r io.Reader) error {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("-f %s: %w", name, err)
	}
	s.Files++
	if len(b) > MaxFileBytes {
		s.Problems = append(s.Problems, Problem{Source: SourceFile, File: name, Reason: fmt.Sprintf("larger than %d MiB", MaxFileBytes>>20)})
		return nil
	}
	docs, problems := ReadManifest(b)
	for _, d := range docs {
		s.Uses = append(s.Uses, Use{Source: SourceFile, APIVersion: d.APIVersion, Kind: d.Kind, Namespace: d.Namespace, Name: d.Name, File: name, Document: d.Index})
	}
	for _, p := range problems {
		s.Problems = append(s.Problems, Problem{Source: SourceFile, File: name, Document: p.Index, Reason: p.Reason})
	}
	return nil
}

// manifestFiles expands a -f path.
func manifestFiles(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("-f %s: no such file or directory", p)
		}
		return nil, fmt.Errorf("-f %s: %w", p, err)
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var out []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml", ".json":
			if !d.IsDir() {
				out = append(out, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("-f %s: %w", p, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-f %s: the directory holds no .yaml, .yml or .json file", p)
	}
	sort.Strings(out)
	return out, nil
}
