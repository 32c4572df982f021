package releases

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// keyComponents are the components the hop hazards judge: the default columns.
var keyComponents = []string{release.Etcd, release.Containerd, release.Traefik, release.IngressNginx}

// writeReleasesTable prints a summary line and one row per release, or one line
// saying that nothing matches. x is the data listed, for what it does hold.
func writeReleasesTable(w io.Writer, r *report.ReleaseList, x *release.Index, wide bool) {
	if len(r.Items) == 0 {
		fmt.Fprintln(w, noMatch(r, x))
		return
	}
	fmt.Fprintln(w, title(r))
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
		row := []string{cmdutil.DistroName(it.Distro), it.Version, cmdutil.OrDash(it.Date)}
		for _, c := range columns {
			row = append(row, cmdutil.OrDash(it.Components[c]))
		}
		if wide {
			row = append(row, cmdutil.OrDash(it.Source.String()))
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	_ = tw.Flush() // into the caller's buffer: it cannot fail
}

// title is the summary line above the table.
func title(r *report.ReleaseList) string {
	if r.Filters.Release != "" {
		it := r.Items[0]
		date := "no release date given"
		if it.Date != "" {
			date = "released " + it.Date
		}
		return fmt.Sprintf("%s release %s known to the release data (%s): %s, %s",
			cmdutil.DistroName(it.Distro), it.Version, r.Origin, date, cmdutil.Plural(len(it.Components), "component"))
	}
	parts := []string{cmdutil.Plural(len(r.Items), "release")}
	for _, n := range r.Newest {
		parts = append(parts, fmt.Sprintf("newest %s %s%s", cmdutil.DistroName(n.Distro), n.Version, dateSuffix(n.Date)))
	}
	return fmt.Sprintf("%s releases known to the release data (%s): %s", scope(r), r.Origin, strings.Join(parts, ", "))
}

// noMatch is the one line printed when no release matches the filters: what the data
// does hold, and where newer data comes from when the minor asked for is past it.
func noMatch(r *report.ReleaseList, x *release.Index) string {
	var held []string
	past := r.Filters.Minor != ""
	for _, d := range listed(r) {
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
	line := fmt.Sprintf("No %s releases in the release data (%s), which has %s", scope(r), r.Origin, strings.Join(held, " and "))
	if past {
		line += fmt.Sprintf("; for newer release data give --release-data FILE|URL or set $%s", release.EnvVar)
	}
	return line
}

// scope is "K3s and RKE2", "K3s v1.33" and the like: what the filters asked for.
func scope(r *report.ReleaseList) string {
	var names []string
	for _, d := range listed(r) {
		names = append(names, d.Name())
	}
	s := strings.Join(names, " and ")
	if r.Filters.Minor != "" {
		s += " " + r.Filters.Minor
	}
	return s
}

// listed are the distributions the filters ask for.
func listed(r *report.ReleaseList) []version.Distro {
	if r.Filters.Distro != "" {
		return []version.Distro{version.Distro(r.Filters.Distro)}
	}
	return distros
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
