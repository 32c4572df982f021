package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// readPages reads release pages: dir/k3s/<version>.md and dir/rke2/<version>.md, each
//
//	url: https://github.com/k3s-io/k3s/releases/tag/v1.33.7+k3s1
//	date: 2025-12-19          (or empty)
//	note: ...                 (any number, for people)
//
//	| Component | Version |
//	| --------- | ------- |
//	| Etcd      | v3.6.14-k3s1 |
//
// A page whose version is no release of its directory's distribution, or older than min,
// is skipped with a warning; one that cannot be read is an error.
func readPages(dir string, min version.MinorVersion) ([]row, []string, error) {
	var rows []row
	var warns []string
	found := false
	for _, d := range []version.Distro{version.K3s, version.RKE2} {
		sub := filepath.Join(dir, string(d))
		entries, err := os.ReadDir(sub)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %v", sub, err)
		}
		found = true
		older := 0
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".md") {
				continue
			}
			file := filepath.Join(sub, name)
			v, err := releaseVersion(strings.TrimSuffix(name, ".md"), d)
			if err != nil {
				warns = append(warns, fmt.Sprintf("%s: %v; page skipped", file, err))
				continue
			}
			if v.MinorVersion().Compare(min) < 0 {
				older++
				continue
			}
			text, err := readBounded(file)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %v", file, err)
			}
			r, w, err := parsePage(text, v, file)
			warns = append(warns, w...)
			if err != nil {
				return nil, nil, err
			}
			if r != nil {
				rows = append(rows, row{R: r, Where: file})
			}
		}
		if older > 0 {
			warns = append(warns, fmt.Sprintf("%s: %d pages of releases older than -min %s skipped", sub, older, min))
		}
	}
	if !found {
		return nil, nil, fmt.Errorf("%s: has neither a k3s nor an rke2 directory of release pages", dir)
	}
	return rows, warns, nil
}

// parsePage reads one release page of release v; nil when it names no component version.
func parsePage(text []byte, v version.Version, file string) (*release.Release, []string, error) {
	var warns []string
	warn := func(format string, args ...any) {
		warns = append(warns, file+": "+fmt.Sprintf(format, args...))
	}
	lines := strings.Split(strings.ReplaceAll(string(text), "\r\n", "\n"), "\n")
	r := &release.Release{Version: v, Components: map[string]string{}}
	i := 0
	for ; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
		k, val, ok := strings.Cut(lines[i], ":")
		k, val = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(val)
		switch {
		case !ok:
			return nil, nil, fmt.Errorf("%s line %d: want key: value before the blank line, got %q", file, i+1, clip(lines[i]))
		case k == "url":
			r.Source.URL = val
		case k == "date" && val != "":
			date, ok := parseDate(val)
			if !ok {
				warn("date %q is not a date; left empty", clip(val))
			}
			r.Date = date
		case k == "date" || k == "note":
		default:
			warn("line %d: unknown key %q ignored", i+1, clip(k))
		}
	}
	if !strings.HasPrefix(r.Source.URL, "https://") || len(r.Source.URL) > 256 || strings.ContainsAny(r.Source.URL, " \t") {
		return nil, nil, fmt.Errorf("%s: no url: line with an https URL of the release", file)
	}
	for ; i < len(lines); i++ {
		if !isTableLine(lines[i]) || isSeparator(lines[i]) {
			continue
		}
		cells := splitRow(lines[i])
		if len(cells) < 2 || normalize(cells[0]) == "component" {
			continue
		}
		c, cell := classify(cells[0]), cells[1]
		switch c.kind {
		case colVersion:
			if got, err := releaseVersion(cell, v.Distro); err != nil || key(got) != key(v) {
				return nil, nil, fmt.Errorf("%s line %d: its Version row %q is not the page's release %s", file, i+1, clip(plainText(cell)), v)
			}
		case colDate:
			if d, ok := parseDate(cell); ok && r.Date == "" {
				r.Date = d
			}
		case colCanal:
			got := canalCell(cell)
			for _, name := range canalOrder {
				if cv, ok := got[name]; ok {
					r.Components[name] = cv
				} else {
					warn("line %d: %s has no %s version (%q); left out", i+1, clip(c.header), name, clip(plainText(cell)))
				}
			}
		case colComponent:
			cv, ok, tagged := versionCell(cell)
			ok = ok && plausible(c.component, cv)
			if tagged {
				warn("line %d: %s names a tag, not a version (%q); read as %s", i+1, clip(c.header), clip(plainText(cell)), cv)
			}
			switch {
			case !ok:
				warn("line %d: %s has no version (%q); left out", i+1, clip(c.header), clip(cv))
			case r.Components[c.component] != "" && r.Components[c.component] != cv:
				return nil, nil, fmt.Errorf("%s line %d: %s is listed twice, as %s and %s", file, i+1, c.component, r.Components[c.component], cv)
			default:
				if c.unknown {
					warn("line %d: %q is no known component; read as component %q", i+1, clip(c.header), c.component)
				}
				r.Components[c.component] = cv
			}
		default:
			warn("line %d: %q is not usable as a component name; ignored", i+1, clip(c.header))
		}
	}
	if msg := checkKubernetes(v, r.Components); msg != "" {
		warn("%s", msg)
	}
	if len(r.Components) == 0 {
		warn("no component versions; page skipped")
		return nil, warns, nil
	}
	if err := decodes(r); err != nil {
		return nil, nil, fmt.Errorf("%s: %v", file, err)
	}
	return r, warns, nil
}

// sortedKeys are a map's keys in order, for stable messages.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
