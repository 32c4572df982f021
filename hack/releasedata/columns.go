package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
)

// colKind is what a column holds.
type colKind int

const (
	colComponent colKind = iota
	colVersion
	colDate
	colCanal
	colIgnore
)

// column is what a table header (or a release page's Component cell) names.
type column struct {
	header    string // as written, for messages
	kind      colKind
	component string
	// unknown marks a name that is no known column: its cells make a component named
	// after it when they are versions.
	unknown bool
}

var (
	componentNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,40}$`)
	separatorCell   = regexp.MustCompile(`^\s*:?-+:?\s*$`)
	knownColumns    = map[string]colKind{
		"version": colVersion, "release-date": colDate, "date": colDate, "canal": colCanal,
	}
	knownComponents = map[string]bool{}
)

func init() {
	for _, c := range []string{release.Kubernetes, release.Kine, release.SQLite, release.Etcd,
		release.Containerd, release.Runc, release.Flannel, release.MetricsServer, release.Traefik,
		release.CoreDNS, release.HelmController, release.LocalPathProvisioner, release.IngressNginx,
		release.CanalFlannel, release.CanalCalico, release.Calico, release.Cilium, release.Multus} {
		knownComponents[c] = true
	}
}

// normalize is a header as a name: lower case, "(Default)" and markup dropped, words
// joined by single dashes ("Canal (Default)" is "canal", "Release date" "release-date").
func normalize(header string) string {
	s := strings.ReplaceAll(strings.ToLower(plainText(header)), "(default)", " ")
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '-' || r == '_'
	}), "-")
}

// classify matches a header by name, never by position.
func classify(header string) column {
	c := column{header: strings.TrimSpace(header)}
	name := normalize(header)
	switch kind, ok := knownColumns[name]; {
	case ok:
		c.kind = kind
	case knownComponents[name]:
		c.kind, c.component = colComponent, name
	case componentNameRE.MatchString(name):
		c.kind, c.component, c.unknown = colComponent, name, true
	default:
		c.kind = colIgnore
	}
	return c
}

// miss counts the rows of one column that lacked a version (or named a release tag
// instead of one), with the first such cell as an example.
type miss struct {
	rows       int
	example    string
	components []string // the ones lacking, in the order first seen
}

// lack is one cell of one row that gave no version of a component.
type lack struct {
	col       int
	component string
	text      string
}

// count adds the lacks of one row that was kept: a row counts once per column.
func count(m map[int]*miss, lacks []lack) {
	seen := map[int]bool{}
	for _, l := range lacks {
		x := m[l.col]
		if x == nil {
			x = &miss{}
			m[l.col] = x
		}
		if !seen[l.col] {
			x.rows++
			seen[l.col] = true
		}
		if x.example == "" && l.text != "" {
			x.example = clip(l.text)
		}
		if !slices.Contains(x.components, l.component) {
			x.components = append(x.components, l.component)
		}
	}
}

func hasKind(cols []column, k colKind) bool {
	for _, c := range cols {
		if c.kind == k {
			return true
		}
	}
	return false
}

// columns classifies a header row: one Version column (its index is returned), at most
// one of any other.
func columns(headers []string) (cols []column, verCol int, err error) {
	cols = make([]column, len(headers))
	seen := map[string]string{}
	verCol = -1
	for j, h := range headers {
		c := classify(h)
		cols[j] = c
		id := c.component
		switch c.kind {
		case colIgnore:
			continue
		case colVersion:
			id, verCol = "version", j
		case colDate:
			id = "date"
		case colCanal:
			id = "canal"
		}
		if prev, dup := seen[id]; dup {
			return nil, -1, fmt.Errorf("columns %q and %q are the same column", clip(prev), clip(c.header))
		}
		seen[id] = c.header
	}
	if verCol < 0 {
		return nil, -1, fmt.Errorf("the release table has no Version column")
	}
	return cols, verCol, nil
}

func sortedCols(m map[int]*miss) []int {
	cols := make([]int, 0, len(m))
	for c := range m {
		cols = append(cols, c)
	}
	sort.Ints(cols)
	return cols
}

// columnWarnings says, once per column, which columns were unknown and how many rows
// lacked a version in each.
func columnWarnings(where string, cols []column, misses map[int]*miss, versions map[int]int, nrows int) []string {
	var out []string
	for j, c := range cols {
		switch {
		case c.kind == colIgnore:
			out = append(out, fmt.Sprintf("%s: column %q is no known column and not usable as a component name; ignored", where, clip(c.header)))
			continue
		case c.unknown && versions[j] == 0:
			out = append(out, fmt.Sprintf("%s: column %q is no known column and none of its cells is a version; ignored", where, clip(c.header)))
			continue
		case c.unknown:
			out = append(out, fmt.Sprintf("%s: column %q is no known column; its versions are read as component %q", where, clip(c.header), c.component))
		}
	}
	for _, j := range sortedCols(misses) {
		if cols[j].unknown && versions[j] == 0 {
			continue
		}
		m := misses[j]
		example := "empty"
		if m.example != "" {
			example = fmt.Sprintf("%q", m.example)
		}
		out = append(out, fmt.Sprintf("%s: column %q: %d of %d rows have no %s version (e.g. %s); left out of those rows",
			where, clip(cols[j].header), m.rows, nrows, strings.Join(m.components, " or "), example))
	}
	return out
}
