package table

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// WriteReleases draws a release list: a summary line and one row per release with
// the versions of the components the hazards judge, or one line saying that nothing
// matches. data is the release data listed, which that line describes. Wide adds a
// column for every other component the releases ship, and where each row was read.
func WriteReleases(w io.Writer, r *report.ReleaseList, data *release.Index, opts Options) error {
	var buf bytes.Buffer
	writeReleases(&buf, r, data, opts.Wide)
	return flush(w, buf.Bytes(), opts.Color)
}

func writeReleases(w io.Writer, r *report.ReleaseList, x *release.Index, wide bool) {
	if len(r.Items) == 0 {
		fmt.Fprintln(w, releasesNoMatch(r, x))
		return
	}
	fmt.Fprintln(w, releasesTitle(r))
	columns := keyComponents
	if wide {
		columns = append(append([]string{}, keyComponents...), otherComponents(r.Items)...)
	}
	header := []string{"DISTRO", "RELEASE", "DATE"}
	for _, c := range columns {
		header = append(header, strings.ToUpper(c))
	}
	if wide {
		header = append(header, "SOURCE")
	}
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, it := range r.Items {
		row := []string{distroName(it.Distro), it.Version, text.OrDash(it.Date)}
		for _, c := range columns {
			row = append(row, text.OrDash(it.Components[c]))
		}
		if wide {
			row = append(row, text.OrDash(it.Source.String()))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush() // into a buffer: it cannot fail
}

// releasesTitle is the summary line above the table.
func releasesTitle(r *report.ReleaseList) string {
	if r.Filters.Release != "" {
		it := r.Items[0]
		date := "no release date given"
		if it.Date != "" {
			date = "released " + it.Date
		}
		return fmt.Sprintf("%s release %s known to the release data (%s): %s, %s",
			distroName(it.Distro), it.Version, r.Origin, date, text.Plural(len(it.Components), "component"))
	}
	parts := []string{text.Plural(len(r.Items), "release")}
	for _, n := range r.Newest {
		parts = append(parts, fmt.Sprintf("newest %s %s%s", distroName(n.Distro), n.Version, dateSuffix(n.Date)))
	}
	return fmt.Sprintf("%s releases known to the release data (%s): %s", releasesScope(r), r.Origin, strings.Join(parts, ", "))
}

// releasesNoMatch is the one line printed when no release matches the filters: what
// the data does hold, and where newer data comes from when the minor asked for is past it.
func releasesNoMatch(r *report.ReleaseList, x *release.Index) string {
	var held []string
	past := r.Filters.Minor != ""
	for _, d := range listedDistros(r) {
		oldest, newest := oldestOf(x, d), x.Newest(d)
		if newest == nil {
			held = append(held, "no "+d.Name()+" release")
			continue
		}
		held = append(held, fmt.Sprintf("%s %s to %s", d.Name(), oldest.Version.MinorString(), newest.Version.MinorString()))
		if m, err := version.ParseMinor(r.Filters.Minor); err != nil || m.Compare(newest.Version.MinorVersion()) <= 0 {
			past = false
		}
	}
	line := fmt.Sprintf("No %s releases in the release data (%s), which has %s", releasesScope(r), r.Origin, strings.Join(held, " and "))
	if past {
		line += fmt.Sprintf("; for newer release data give --release-data FILE|URL or set $%s", release.EnvVar)
	}
	return line
}

// releasesScope is "K3s and RKE2", "K3s v1.33" and the like: what the filters asked for.
func releasesScope(r *report.ReleaseList) string {
	var names []string
	for _, d := range listedDistros(r) {
		names = append(names, d.Name())
	}
	s := strings.Join(names, " and ")
	if r.Filters.Minor != "" {
		s += " " + r.Filters.Minor
	}
	return s
}

// listedDistros are the distributions the filters ask for.
func listedDistros(r *report.ReleaseList) []version.Distro {
	if r.Filters.Distro != "" {
		return []version.Distro{version.Distro(r.Filters.Distro)}
	}
	return release.Distros
}

func oldestOf(x *release.Index, d version.Distro) *release.Release {
	if list := x.Releases(d); len(list) > 0 {
		return list[0]
	}
	return nil
}

func dateSuffix(date string) string {
	if date == "" {
		return ""
	}
	return " (" + date + ")"
}

// otherComponents are the components of the items beyond the key ones, sorted; the
// kubernetes component is left out, as the release names it already.
func otherComponents(items []report.ReleaseItem) []string {
	seen := map[string]bool{release.Kubernetes: true}
	for _, c := range keyComponents {
		seen[c] = true
	}
	var out []string
	for _, it := range items {
		for c := range it.Components {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}
