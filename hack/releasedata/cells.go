package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

var (
	linkRE = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	// markup is markdown and HTML that carries no text of its own.
	markup = strings.NewReplacer("`", " ", "**", " ", "&nbsp;", " ", "\\|", "|")
)

// plainText is a cell as text: a link becomes its text, HTML tags (<br/>) and markdown
// emphasis become spaces, and runs of spaces collapse ("[v3.30.3    ](...)" is "v3.30.3").
func plainText(cell string) string {
	s := linkRE.ReplaceAllString(cell, " $1 ")
	s = tagRE.ReplaceAllString(s, " ")
	return strings.Join(strings.Fields(markup.Replace(s)), " ")
}

// taggedVersion is a release tag that puts a name before the version:
// "nginx-1.9.3-hardened1", rancher/ingress-nginx's tag for controller v1.9.3-hardened1.
var taggedVersion = regexp.MustCompile(`^[A-Za-z]+-v?([0-9][^ ]*)$`)

// versionCell is the version a component cell names, as written; ok is false for a
// placeholder ("-", "N/A", "Version", empty) or anything else that is not one version.
// A tag with a name prefix is read as its version, "v" first, and tagged is set.
func versionCell(cell string) (text string, ok, tagged bool) {
	text, ok = versionText(plainText(cell))
	if m := taggedVersion.FindStringSubmatch(text); !ok && m != nil {
		if v, vok := versionText("v" + m[1]); vok {
			return v, true, true
		}
	}
	return text, ok, false
}

// controllerMajor pins components whose cells sometimes hold another artifact's
// version: rancher/rke2-docs lists the ingress-nginx chart (4.6.1, 4.8.2) instead of
// the controller (1.x) for a few v1.28 releases. Such a cell is left out, not misread.
var controllerMajor = map[string]uint64{release.IngressNginx: 1}

// plausible reports whether v can be component c's version.
func plausible(c, v string) bool {
	want, pinned := controllerMajor[c]
	if !pinned {
		return true
	}
	pv, err := version.Parse(v)
	return err == nil && pv.Major == want
}

func versionText(t string) (string, bool) {
	if t == "" || strings.ContainsAny(t, " \t") {
		return t, false
	}
	if _, err := version.Parse(t); err != nil {
		return t, false
	}
	return t, true
}

// canalParts are the charts a Canal cell names, each before its version.
var canalParts = map[string]string{"flannel": release.CanalFlannel, "calico": release.CanalCalico}

// canalOrder is the order canalParts are reported in.
var canalOrder = []string{release.CanalFlannel, release.CanalCalico}

// canalCell reads the Canal column's double cell, "[Flannel v0.28.8](...)<br/>[Calico
// v3.32.1](...)": each part is a name followed by its version, however they are linked,
// separated or punctuated. A part it cannot attribute is left out.
func canalCell(cell string) map[string]string {
	fields := strings.Fields(strings.NewReplacer(",", " ", ":", " ", ";", " ").Replace(plainText(cell)))
	out := map[string]string{}
	for i := 0; i+1 < len(fields); i++ {
		comp, known := canalParts[strings.ToLower(fields[i])]
		if !known {
			continue
		}
		if v, ok := versionText(fields[i+1]); ok {
			if _, dup := out[comp]; !dup {
				out[comp] = v
			}
			i++
		}
	}
	return out
}

// releaseVersion reads a row's Version cell: a K3s or RKE2 release of distro d, returned
// spelled with its "v" ("1.33.7+k3s1" reads as "v1.33.7+k3s1").
func releaseVersion(cell string, d version.Distro) (version.Version, error) {
	t := plainText(cell)
	if t == "" {
		return version.Version{}, fmt.Errorf("no version")
	}
	v, err := version.Parse("v" + strings.TrimPrefix(t, "v"))
	if err != nil || strings.ContainsAny(t, " \t") {
		return version.Version{}, fmt.Errorf("%q is not a version", clip(t))
	}
	if v.Distro != d || v.Major != 1 {
		return version.Version{}, fmt.Errorf("%s is not a %s release (v1.Y.Z%s)", v, d.Name(), revisionHint(d))
	}
	return v, nil
}

func revisionHint(d version.Distro) string {
	if d == version.RKE2 {
		return "+rke2rN"
	}
	return "+k3sN"
}

var months = []string{"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"}

// parseDate reads a release date as the notes write it: "Aug 04 2026", "Dec 19 2025",
// "Sept 5 2025", "August 4, 2026", "4 Aug 2026", "Aug 4th 2026" or "2026-08-04", and
// returns it as YYYY-MM-DD; ok is false when it is not a real date.
func parseDate(s string) (string, bool) {
	s = strings.ToLower(plainText(s))
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.Format("2006-01-02"), true
	}
	f := strings.Fields(strings.NewReplacer(",", " ", ".", " ").Replace(s))
	if len(f) != 3 {
		return "", false
	}
	m, dayText := month(f[0]), f[1]
	if m == 0 {
		m, dayText = month(f[1]), f[0]
	}
	day, dok := number(strings.TrimRight(dayText, "stndrh"), 2)
	year, yok := number(f[2], 4)
	if m == 0 || !dok || !yok || len(f[2]) != 4 || year < 1990 || year > 2200 {
		return "", false
	}
	t := time.Date(year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day || int(t.Month()) != m {
		return "", false // Feb 30
	}
	return t.Format("2006-01-02"), true
}

// month is 1 to 12 for a month name or an abbreviation of at least three letters
// ("Sep", "Sept", "September"), 0 otherwise.
func month(s string) int {
	if len(s) < 3 {
		return 0
	}
	for i, name := range months {
		if strings.HasPrefix(name, s) {
			return i + 1
		}
	}
	return 0
}

// number reads at most max digits and nothing else.
func number(s string, max int) (int, bool) {
	if s == "" || len(s) > max || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// clip keeps outside text short and on one line in messages.
func clip(s string) string {
	const max = 40
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// key identifies a release as release.Decode does: two spellings of one release, or two
// vendor suffixes on it, are the same release.
func key(v version.Version) string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.PreRelease != "" {
		s += "-" + v.PreRelease
	}
	return s + "+" + v.Build
}
