package main

import (
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
)

// pageChecked are the components whose disagreement between a release page and the
// notes is worth a warning: the ones hazards are judged from.
var pageChecked = []string{release.Etcd, release.Containerd, release.Traefik}

// merge joins the notes' rows and the pages' into one release each. A release the notes
// list twice with the same components is kept once (the first row); with different
// components it is an error naming both rows. A page adds a release the notes lack; where
// the notes have it they win, and a page that disagrees on pageChecked is a warning.
func merge(notes, pages []row) ([]*release.Release, []string, error) {
	var warns []string
	byKey := map[string]row{}
	fromPage := map[string]bool{}
	var order []string
	add := func(r row, page bool) error {
		k := key(r.R.Version)
		prev, dup := byKey[k]
		switch {
		case !dup:
			byKey[k], fromPage[k] = r, page
			order = append(order, k)
		case page && !fromPage[k]:
			for _, c := range pageChecked {
				if pv, ok := r.R.Components[c]; ok && pv != prev.R.Components[c] {
					warns = append(warns, fmt.Sprintf("%s: %s %s, but %s says %s; the notes win",
						r.Where, c, pv, prev.Where, orNone(prev.R.Components[c])))
				}
			}
		case !maps.Equal(prev.R.Components, r.R.Components):
			return fmt.Errorf("%s is listed twice with different components: %s and %s (%s)",
				r.R.Version, prev.Where, r.Where, firstDifference(prev.R, r.R))
		case prev.R.Date != r.R.Date:
			warns = append(warns, fmt.Sprintf("%s: %s is listed again with date %s (%s has %s); the first is kept",
				r.Where, r.R.Version, orNone(r.R.Date), prev.Where, orNone(prev.R.Date)))
		}
		return nil
	}
	for _, r := range notes {
		if err := add(r, false); err != nil {
			return nil, nil, err
		}
	}
	for _, r := range pages {
		if err := add(r, true); err != nil {
			return nil, nil, err
		}
	}
	out := make([]*release.Release, 0, len(order))
	for _, k := range order {
		out = append(out, byKey[k].R)
	}
	return out, warns, nil
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// firstDifference names the first component (by name) two rows disagree on.
func firstDifference(a, b *release.Release) string {
	names := map[string]bool{}
	for k := range a.Components {
		names[k] = true
	}
	for k := range b.Components {
		names[k] = true
	}
	for _, n := range sortedKeys(names) {
		if a.Components[n] != b.Components[n] {
			return fmt.Sprintf("%s %s vs %s", n, orNone(a.Components[n]), orNone(b.Components[n]))
		}
	}
	return "no difference"
}

// byMinor groups releases by distribution and minor, each group oldest first, the
// groups in distribution and minor order.
func byMinor(rs []*release.Release) [][]*release.Release {
	sorted := append([]*release.Release(nil), rs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := sorted[i].Version, sorted[j].Version
		if a.Distro != b.Distro {
			return a.Distro < b.Distro
		}
		return a.Compare(b) < 0
	})
	var groups [][]*release.Release
	for i, r := range sorted {
		if i == 0 || r.Version.Distro != sorted[i-1].Version.Distro || r.Version.MinorVersion() != sorted[i-1].Version.MinorVersion() {
			groups = append(groups, nil)
		}
		groups[len(groups)-1] = append(groups[len(groups)-1], r)
	}
	return groups
}

// downgrades warns where a component's version goes down from one release of a minor to
// the next: the index assumes bundled components only move forward within a line, so
// each is a typo in the notes or a real rollback worth a look. Vendor suffixes do not
// order ("v2.2.5-k3s1" and "v2.2.5-k3s2" are the same version here).
func downgrades(rs []*release.Release) []string {
	var out []string
	for _, g := range byMinor(rs) {
		for i := 1; i < len(g); i++ {
			prev, cur := g[i-1], g[i]
			for _, c := range cur.ComponentNames() {
				pv, ok1 := prev.Component(c)
				cv, ok2 := cur.Component(c)
				if ok1 && ok2 && cv.Compare(pv) < 0 {
					out = append(out, fmt.Sprintf("%s %s: %s goes down from %s in %s to %s in %s",
						cur.Version.Distro, cur.Version.MinorString(), c, prev.Components[c], prev.Version, cur.Components[c], cur.Version))
				}
			}
		}
	}
	return out
}

// pageGaps warns where a release read from a page lacks components that the release
// before it in its minor ships (the one after it, for the oldest): most likely a
// truncated page, and the data will say the release does not ship them.
func pageGaps(rs []*release.Release) []string {
	var out []string
	for _, g := range byMinor(rs) {
		for i, r := range g {
			if r.Source.Repo != "" || len(g) == 1 {
				continue
			}
			ref := g[1]
			if i > 0 {
				ref = g[i-1]
			}
			var lack []string
			for _, c := range ref.ComponentNames() {
				if _, ok := r.Components[c]; !ok {
					lack = append(lack, c)
				}
			}
			if len(lack) > 0 {
				out = append(out, fmt.Sprintf("%s: %s lacks %s, which %s ships; the data will say it does not ship them",
					r.Source.URL, r.Version, strings.Join(lack, ", "), ref.Version))
			}
		}
	}
	return out
}

// summary is one line per distribution and minor: how many releases, the newest, and
// where they were read.
func summary(rs []*release.Release) []string {
	var out []string
	for _, g := range byMinor(rs) {
		newest := g[len(g)-1]
		fromPages := 0
		for _, r := range g {
			if r.Source.Repo == "" {
				fromPages++
			}
		}
		line := fmt.Sprintf("%-4s %s: %3d releases, newest %s", newest.Version.Distro, newest.Version.MinorString(), len(g), newest.Version)
		if newest.Date != "" {
			line += " of " + newest.Date
		}
		line += fmt.Sprintf(" (etcd %s, containerd %s", orNone(newest.Components[release.Etcd]), orNone(newest.Components[release.Containerd]))
		if t, ok := newest.Components[release.Traefik]; ok {
			line += ", traefik " + t
		}
		line += ")"
		if fromPages > 0 {
			line += fmt.Sprintf("; %d from release pages", fromPages)
		}
		out = append(out, line)
	}
	return out
}

// diffSummary says in one line how old data differs from new: releases added, removed
// and changed, with the first of each.
func diffSummary(old, new []byte) string {
	oldRs, err := release.Decode(old)
	if err != nil {
		return "the file does not decode (" + clip(err.Error()) + ")"
	}
	newRs, _ := release.Decode(new)
	index := func(rs []*release.Release) map[string]*release.Release {
		m := map[string]*release.Release{}
		for _, r := range rs {
			m[string(r.Version.Distro)+" "+key(r.Version)] = r
		}
		return m
	}
	o, n := index(oldRs), index(newRs)
	var added, removed, changed []string
	for _, k := range sortedKeys(n) {
		if prev, ok := o[k]; !ok {
			added = append(added, n[k].Version.String())
		} else if d := releaseDiff(prev, n[k]); d != "" {
			changed = append(changed, n[k].Version.String()+" "+d)
		}
	}
	for _, k := range sortedKeys(o) {
		if _, ok := n[k]; !ok {
			removed = append(removed, o[k].Version.String())
		}
	}
	if len(added)+len(removed)+len(changed) == 0 {
		return "same releases, but not in the canonical form"
	}
	part := func(n string, list []string) string {
		if len(list) == 0 {
			return "0 " + n
		}
		return fmt.Sprintf("%d %s (first %s)", len(list), n, list[0])
	}
	return strings.Join([]string{part("added", added), part("removed", removed), part("changed", changed)}, ", ")
}

// releaseDiff names what changed in one release; "" when nothing did.
func releaseDiff(a, b *release.Release) string {
	switch {
	case !maps.Equal(a.Components, b.Components):
		return firstDifference(a, b)
	case a.Date != b.Date:
		return "date " + orNone(a.Date) + " -> " + orNone(b.Date)
	case a.Source != b.Source:
		return "source " + a.Source.String() + " -> " + b.Source.String()
	}
	return ""
}
