package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// maxText bounds one release-notes file or release page: the largest is a few hundred
// kilobytes.
const maxText = 8 << 20

// row is one release read from a table or a page, and where: "<file> line 17".
type row struct {
	R     *release.Release
	Where string
}

// tableInput is one release-notes file to read.
type tableInput struct {
	Text   []byte
	Where  string // names the file in messages: "rancher/rke2-docs docs/release-notes/v1.33.X.md"
	Distro version.Distro
	Min    version.MinorVersion
	// Minor is the file's minor (v1.33 for v1.33.X.md); zero when it has none.
	Minor  version.MinorVersion
	Source release.Source
}

// parseTable reads the releases of a release-notes file's first markdown table with a
// Version column. Rows it cannot use are skipped and cells that hold no version left out,
// each with a warning; an error is a file that has no such table or contradicts itself.
// Every row it returns decodes through release.Encode and release.Decode.
func parseTable(in tableInput) (rows []row, warns []string, err error) {
	if len(in.Text) > maxText {
		return nil, nil, fmt.Errorf("%s: %d bytes, more than the limit of %d", in.Where, len(in.Text), maxText)
	}
	warn := func(format string, args ...any) {
		warns = append(warns, in.Where+": "+fmt.Sprintf(format, args...))
	}
	lines := strings.Split(string(bytes.ReplaceAll(in.Text, []byte("\r\n"), []byte("\n"))), "\n")
	header, first := findTable(lines)
	if header < 0 {
		return nil, nil, fmt.Errorf("%s: no release table (a markdown table with a Version column)", in.Where)
	}
	cols, verCol, err := columns(splitRow(lines[header]))
	if err != nil {
		return nil, nil, fmt.Errorf("%s line %d: %v", in.Where, header+1, err)
	}
	if !hasKind(cols, colDate) {
		warn("the release table has no Release date column; dates are left empty")
	}
	misses, tags := map[int]*miss{}, map[int]*miss{}
	versions := map[int]int{} // column: cells that are versions
	wide, firstWide := 0, 0
	for i := first; i < len(lines) && isTableLine(lines[i]); i++ {
		where := fmt.Sprintf("%s line %d", in.Where, i+1)
		cells := splitRow(lines[i])
		if len(cells) > len(cols) {
			if wide++; wide == 1 {
				firstWide = i + 1
			}
		}
		cell := func(j int) string {
			if j < len(cells) {
				return cells[j]
			}
			return ""
		}
		date, comps := "", map[string]string{}
		var lacks, tagged []lack
		var found []int // columns that gave a version
		v, verr := releaseVersion(cell(verCol), in.Distro)
		if verr != nil {
			warn("line %d: %v; row skipped", i+1, verr)
			continue
		}
		if v.MinorVersion().Compare(in.Min) < 0 {
			warn("line %d: %s is older than -min %s; row skipped", i+1, v, in.Min)
			continue
		}
		if in.Minor != (version.MinorVersion{}) && v.MinorVersion() != in.Minor {
			warn("line %d: %s is listed in the %s notes", i+1, v, in.Minor)
		}
		for j, c := range cols {
			switch c.kind {
			case colDate:
				var ok bool
				if date, ok = parseDate(cell(j)); !ok {
					warn("line %d: %s: release date %q is not a date; left empty", i+1, v, clip(plainText(cell(j))))
				}
			case colCanal:
				got := canalCell(cell(j))
				for _, name := range canalOrder {
					if cv, ok := got[name]; ok {
						comps[name] = cv
						found = append(found, j)
					} else {
						lacks = append(lacks, lack{j, name, plainText(cell(j))})
					}
				}
			case colComponent:
				cv, ok, tag := versionCell(cell(j))
				ok = ok && plausible(c.component, cv)
				switch {
				case !ok:
					lacks = append(lacks, lack{j, c.component, cv})
					continue
				case tag:
					tagged = append(tagged, lack{j, c.component, plainText(cell(j))})
				}
				comps[c.component] = cv
				found = append(found, j)
			}
		}
		if msg := checkKubernetes(v, comps); msg != "" {
			warn("line %d: %s", i+1, msg)
		}
		if len(comps) == 0 {
			warn("line %d: %s has no component versions; row skipped", i+1, v)
			continue
		}
		r := &release.Release{Version: v, Date: date, Components: comps, Source: in.Source}
		if err := decodes(r); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", where, err)
		}
		rows = append(rows, row{R: r, Where: where})
		count(misses, lacks)
		count(tags, tagged)
		for _, j := range found {
			versions[j]++
		}
	}
	if wide > 0 {
		warn("%d rows (first line %d) have more cells than the header's %d; the extra cells are ignored", wide, firstWide, len(cols))
	}
	for _, j := range sortedCols(tags) {
		warn("column %q: %d cells name a release tag, not a version (e.g. %q); read as the version after the name, with a v", clip(cols[j].header), tags[j].rows, tags[j].example)
	}
	if len(rows) == 0 {
		warn("the release table has no usable rows")
	}
	warns = append(warns, columnWarnings(in.Where, cols, misses, versions, len(rows))...)
	return rows, warns, nil
}

// checkKubernetes drops a kubernetes component that contradicts the release (the data
// would not decode) and says so; "" when it agrees or is absent.
func checkKubernetes(v version.Version, comps map[string]string) string {
	k, ok := comps[release.Kubernetes]
	if !ok {
		return ""
	}
	kv, _ := version.Parse(k)
	if kv.Major == v.Major && kv.Minor == v.Minor && kv.Patch == v.Patch {
		return ""
	}
	delete(comps, release.Kubernetes)
	return fmt.Sprintf("%s: its Kubernetes cell %s contradicts it; left out", v, k)
}

// decodes checks one release the way release.Decode will read the output.
func decodes(r *release.Release) error {
	_, err := release.Decode(release.Encode([]*release.Release{r}))
	return err
}

// findTable is the first markdown table whose header has a Version column, outside
// code fences: the header's line index and its first row's, or -1.
func findTable(lines []string) (header, first int) {
	fenced := false
	for i := 0; i+1 < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
		}
		if fenced || !isTableLine(lines[i]) || !isSeparator(lines[i+1]) {
			continue
		}
		for _, h := range splitRow(lines[i]) {
			if normalize(h) == "version" {
				return i, i + 2
			}
		}
	}
	return -1, -1
}

func isTableLine(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "|") }

func isSeparator(line string) bool {
	if !isTableLine(line) {
		return false
	}
	cells := splitRow(line)
	for _, c := range cells {
		if !separatorCell.MatchString(c) {
			return false
		}
	}
	return len(cells) > 0
}

// splitRow splits a table line into its cells, on pipes that are not escaped.
func splitRow(line string) []string {
	s := strings.TrimSpace(line)
	s = strings.TrimPrefix(s, "|")
	if strings.HasSuffix(s, "|") && !strings.HasSuffix(s, `\|`) {
		s = s[:len(s)-1]
	}
	var cells []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			cells = append(cells, s[start:i])
			start = i + 1
		}
	}
	if start <= len(s) {
		cells = append(cells, s[start:])
	}
	return cells
}
