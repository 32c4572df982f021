// Package releases renders docs/releases.md from the release data the plugin embeds
// (pkg/skew/release): what the data is, where it comes from, its format and bounds, and
// per distribution and minor the releases where the components the hazards judge
// change. make docs writes it; a test fails when the committed page differs.
package releases

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Milestone is one "first release with" column: the oldest release of a minor whose
// component is at least From and below Below (when set).
type Milestone struct {
	Title     string
	Component string
	From      version.Version
	// Below, when set, bounds the versions that count: ingress-nginx 1.x is the
	// controller, a 4.x in the same column is its chart.
	Below  version.Version
	Distro version.Distro // "" for both distributions
}

// Milestones are the table's columns, in order.
var Milestones = []Milestone{
	{Title: "etcd v3.5.26 or later", Component: release.Etcd, From: version.MustParse("v3.5.26")},
	{Title: "etcd 3.6", Component: release.Etcd, From: version.MustParse("v3.6.0")},
	{Title: "containerd 2.0", Component: release.Containerd, From: version.MustParse("v2.0.0")},
	{Title: "containerd 2.1", Component: release.Containerd, From: version.MustParse("v2.1.0")},
	{Title: "Traefik 3", Component: release.Traefik, From: version.MustParse("v3.0.0")},
	{Title: "ingress-nginx 1.12", Component: release.IngressNginx, From: version.MustParse("v1.12.0"), Below: version.MustParse("v2.0.0"), Distro: version.RKE2},
}

// exampleRelease is the row the format section shows, when the data has it.
const exampleRelease = "v1.33.7+k3s3"

// Bounds of release.Decode that the package does not export; TestBounds checks them.
const (
	maxComponents = 64
	maxField      = 256
)

// Markdown renders docs/releases.md from x.
func Markdown(x *release.Index) string {
	var b strings.Builder
	b.WriteString(intro(x))
	for _, d := range []version.Distro{version.K3s, version.RKE2} {
		b.WriteString(distroSection(x, d))
	}
	return b.String()
}

// md turns ~ into backquotes, so the prose below can be raw strings.
func md(s string) string { return strings.ReplaceAll(s, "~", "`") }

func intro(x *release.Index) string {
	var b strings.Builder
	k3s, rke2 := x.Releases(version.K3s), x.Releases(version.RKE2)
	pages := 0
	for _, r := range append(append([]*release.Release(nil), k3s...), rke2...) {
		if r.Source.Repo == "" {
			pages++
		}
	}
	b.WriteString(md(`# K3s and RKE2 release data

<!-- Generated from pkg/skew/release/data/releases.json by make docs. Do not edit. -->

kubectl-skew carries a table of K3s and RKE2 releases and the version of every component
each one bundles: etcd, containerd, runc, Traefik, ingress-nginx, CoreDNS, the CNI charts
and the rest. The hop hazards that a component decides ([hazards.md](hazards.md): Traefik 3,
etcd 3.6, containerd 2.0 and 2.1, ingress-nginx 1.12) and the planner's etcd stepping stone
are judged from it, from the release a node runs now to the release a hop installs,
rather than from Kubernetes patch numbers written by hand.

`))
	fmt.Fprintf(&b, "The table built into this version knows %d releases:\n%d of K3s%s and %d of RKE2%s.\n\n",
		len(k3s)+len(rke2), len(k3s), span(k3s), len(rke2), span(rke2))
	b.WriteString(md(`## Where the rows come from

Each distribution publishes one release-notes file per minor, ~docs/release-notes/v1.NN.X.md~,
in [k3s-io/docs](https://github.com/k3s-io/docs) for K3s and in
[rancher/rke2-docs](https://github.com/rancher/rke2-docs) for RKE2. Its first table has a row
per release: the date and the version of each component. The generator
(~hack/releasedata~) reads that table from every file of v1.28 or later, each at its newest
commit (RKE2 moves the files of ended minors to ~docs/release-notes-old/~, read there; for a
file since removed, the commit before the removal), and every row it writes names the
repository, the file and the commit it was read from. It can also read a partial copy of
a docs repository whose ~SOURCES.tsv~ names the commit each file was read at: this table's
K3s rows were built that way, because a whole k3s-io/docs checkout could not be had, so a
K3s minor may stop short of the newest K3s release (see the newest per minor below); a
release the data does not know is reported unknown, never taken to be safe.

`))
	fmt.Fprintf(&b, md(`Where a release is missing from the notes file, its row can come from a release page
instead (a GitHub release or the published notes page), and then names that page's URL
(rows read from pages: %d of %d). A page may give no date, and may list fewer components
than the notes do; a component a row does not list is open for the hazards (never taken
to be safe), as it is for a placeholder cell in a notes file.

`), pages, len(k3s)+len(rke2))
	b.WriteString(md(`To regenerate the data from fresh checkouts, then this page:

~~~sh
make release-data K3S_DOCS=<checkout of k3s-io/docs> RKE2_DOCS=<checkout of rancher/rke2-docs>
make docs
~~~

~make release-data~ also takes ~RELEASE_PAGES=<dir>~, a directory of release pages
(~k3s/<version>.md~, ~rke2/<version>.md~) for releases the notes lack. A checkout can be a
work tree or a bare git directory. The tests fail when
~pkg/skew/release/data/releases.json~ is not in the exact form the generator writes (most
edits by hand show) and when this page differs from the data.

## The format

One JSON object with ~apiVersion~, ~kind~ and ~releases~, written one release per line,
sorted by distribution and release, so a regenerated file diffs line by line:

`))
	b.WriteString("```json\n")
	b.Write(release.Encode([]*release.Release{example(x)}))
	b.WriteString("```\n\n")
	b.WriteString(md(`- ~version~: a K3s (~vX.Y.Z+k3sN~) or RKE2 (~vX.Y.Z+rke2rN~) release, listed once
  (~1.33.7+k3s1~ and ~v1.33.7+k3s1~ are the same release).
- ~date~: the release date, ~YYYY-MM-DD~; may be left out.
- ~components~: name to version as the notes write it (~v3.5.26-k3s1~). Names are lower case
  (letters, digits, dashes); each value must read as a version. A ~kubernetes~ entry must
  be the release's own Kubernetes version.
- ~source~: ~repo~, ~path~ and ~commit~ (a hash) of the notes file, or an https ~url~.

`))
	fmt.Fprintf(&b, md(`## Other data: --release-data

~--release-data FILE|URL~ (or ~$%s~) replaces the built-in table with another,
for a release newer than this plugin without waiting for a new version. It replaces the
table whole: nothing is merged. A URL must be https (plain http is taken only for
localhost); it is read like the channel list, at most %s to connect, %s an attempt and %s
in all. The data is read strictly, within bounds:

- at most %d MiB and %d releases, %d components a release, %d characters a source field;
- no unknown field, no second JSON value or trailing text, no release listed twice
  (under any spelling: two rows of one release are refused whether they agree or not,
  and the message names the first component they disagree on, with both values);
- every version a K3s or RKE2 release, every component a version, a ~kubernetes~ entry
  that agrees with its release, a date in ~YYYY-MM-DD~, a source for every row.

A component name the hazards do not read (a new chart, say ~kube-vip~) is kept, shown by
~kubectl skew releases~, and otherwise ignored: it decides nothing, so it cannot make a hop
look safe. A component the hazards do read that a row lacks is open for them, never safe.

Anything else stops the command with one line that names the file (and the row, where
there is one) and the problem, and says to regenerate the data with ~make release-data~
or to drop the flag (and the variable) to use the built-in table. Bad data never falls
back to the built-in table silently.

## Releases the data does not know

A release that is not in the data is reported as unknown, with why: newer than the data,
older than it, or a gap in it. It is never taken to be safe. A component only moves
forward from one release of a minor to the next, so an unknown patch is bounded by the
known releases of its minor around it; a release newer than every known one of its minor
has only a lower bound. When the bounds do not settle a hazard, the hop reports that the
release data cannot tell, and how to give newer data.

`), release.EnvVar, channel.DefaultConnectTimeout, channel.DefaultAttemptTimeout, channel.DefaultTimeout,
		release.MaxBytes>>20, release.MaxReleases, maxComponents, maxField)
	return b.String()
}

// span is " (v1.28.1+k3s1 to v1.37.2+k3s1)"; "" when there is no release.
func span(rs []*release.Release) string {
	if len(rs) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s to %s)", rs[0].Version, rs[len(rs)-1].Version)
}

// example is the release the format section shows: exampleRelease, else the newest K3s
// or RKE2 release; a made-up one when the data is empty.
func example(x *release.Index) *release.Release {
	if r, ok := x.Lookup(version.MustParse(exampleRelease)); ok {
		return r
	}
	for _, d := range []version.Distro{version.K3s, version.RKE2} {
		if r := x.Newest(d); r != nil {
			return r
		}
	}
	return &release.Release{Version: version.MustParse(exampleRelease), Date: "2026-02-03",
		Components: map[string]string{release.Kubernetes: "v1.33.7", release.Etcd: "v3.5.26-k3s1"},
		Source:     release.Source{URL: "https://github.com/k3s-io/k3s/releases/tag/v1.33.7%2Bk3s3"}}
}

func distroSection(x *release.Index, d version.Distro) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", d.Name())
	rs := x.Releases(d)
	if len(rs) == 0 {
		fmt.Fprintf(&b, "The data has no %s release.\n\n", d.Name())
		return b.String()
	}
	ms := milestones(d)
	b.WriteString("| minor | releases known | newest known |")
	for _, m := range ms {
		fmt.Fprintf(&b, " first with %s |", m.Title)
	}
	b.WriteString(" read from |\n|---|---|---|")
	b.WriteString(strings.Repeat("---|", len(ms)))
	b.WriteString("---|\n")
	for _, g := range byMinor(rs) {
		newest := g[len(g)-1]
		fmt.Fprintf(&b, "| %s | %d | %s%s |", newest.Version.MinorString(), len(g), newest.Version, dated(newest))
		for _, m := range ms {
			fmt.Fprintf(&b, " %s |", firstWith(g, m))
		}
		fmt.Fprintf(&b, " %s |\n", sources(g))
	}
	b.WriteString("\nA \"first with\" cell is the oldest known release of the minor that bundles that version\n" +
		"or a later one, with the version it bundles; \"none\" means no known release of the minor does.\n")
	if odd := chartVersions(rs); len(odd) > 0 {
		fmt.Fprintf(&b, "\nThe notes give ingress-nginx as %s: the chart's version, not the\ncontroller's. Those rows do not count in the ingress-nginx column.\n", strings.Join(odd, "; "))
	}
	fmt.Fprintf(&b, "\nComponents the %s rows list: %s.\n\n", d.Name(), strings.Join(componentNames(rs), ", "))
	return b.String()
}

func milestones(d version.Distro) []Milestone {
	var out []Milestone
	for _, m := range Milestones {
		if m.Distro == "" || m.Distro == d {
			out = append(out, m)
		}
	}
	return out
}

// byMinor splits releases (oldest first) into minors.
func byMinor(rs []*release.Release) [][]*release.Release {
	var out [][]*release.Release
	for i, r := range rs {
		if i == 0 || r.Version.MinorVersion() != rs[i-1].Version.MinorVersion() {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], r)
	}
	return out
}

func dated(r *release.Release) string {
	if r.Date == "" {
		return " (no date)"
	}
	return " (" + r.Date + ")"
}

// counts reports whether release r bundles m's component within m's range.
func (m Milestone) counts(r *release.Release) bool {
	v, ok := r.Component(m.Component)
	if !ok || v.Compare(m.From) < 0 {
		return false
	}
	return m.Below == (version.Version{}) || v.Compare(m.Below) < 0
}

// firstWith is "v1.33.7+k3s3 (v3.5.26-k3s1)", or "none".
func firstWith(g []*release.Release, m Milestone) string {
	for _, r := range g {
		if m.counts(r) {
			return fmt.Sprintf("%s (%s)", r.Version, r.Components[m.Component])
		}
	}
	return "none"
}

// sources are the files and pages a minor was read from, each a link, with how many of
// its releases came from it when more than one source did.
func sources(g []*release.Release) string {
	var order []release.Source
	count := map[release.Source]int{}
	for _, r := range g {
		if count[r.Source] == 0 {
			order = append(order, r.Source)
		}
		count[r.Source]++
	}
	parts := make([]string, 0, len(order))
	for _, s := range order {
		p := link(s)
		if len(order) > 1 {
			p += fmt.Sprintf(" (%d)", count[s])
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// link is a notes file as [v1.33.X.md@2160a60ae3bb](blob URL at the commit), or a page
// as its URL without the scheme.
func link(s release.Source) string {
	if s.Repo == "" {
		text := strings.TrimPrefix(s.URL, "https://")
		if u, err := url.PathUnescape(text); err == nil {
			text = u
		}
		return fmt.Sprintf("[%s](%s)", cell(text), s.URL)
	}
	commit := s.Commit
	if len(commit) > 12 {
		commit = commit[:12]
	}
	base := s.Path[strings.LastIndex(s.Path, "/")+1:]
	return fmt.Sprintf("[%s@%s](https://github.com/%s/blob/%s/%s)", cell(base), commit, s.Repo, s.Commit, s.Path)
}

// cell keeps a table cell's text from ending the cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// chartVersions are "4.6.1 (v1.28.2+rke2r1)": ingress-nginx entries that are no
// controller version 1.x.
func chartVersions(rs []*release.Release) []string {
	var out []string
	for _, r := range rs {
		if v, ok := r.Component(release.IngressNginx); ok && v.Major != 1 {
			out = append(out, fmt.Sprintf("%s (%s)", r.Components[release.IngressNginx], r.Version))
		}
	}
	return out
}

func componentNames(rs []*release.Release) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		for c := range r.Components {
			seen[c] = true
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
