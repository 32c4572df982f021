package deprecation

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Hop is one minor the control plane passes through on the way to the target.
type Hop struct {
	Minor version.MinorVersion
	// Version is the exact release, when the path is known (plan, upgrade); a chart's
	// kubeVersion is then checked against it, as Helm would.
	Version *version.Version
}

// Hops are the minors after from, up to and including to: check --target's path.
func Hops(from, to version.MinorVersion) []Hop {
	var out []Hop
	for m := from.Add(1); m.Compare(to) <= 0; m = m.Add(1) {
		out = append(out, Hop{Minor: m})
	}
	return out
}

// Verdict is a finding and the hop it belongs to: the hop that removes the API (the
// first hop for one removed already), the first hop a chart excludes, the last hop
// for a deprecation.
type Verdict struct {
	Hop     version.MinorVersion
	Finding policy.Finding
}

// Findings are the verdicts' findings, worst first.
func Findings(vs []Verdict) []policy.Finding {
	out := make([]policy.Finding, 0, len(vs))
	for _, v := range vs {
		out = append(out, v.Finding)
	}
	policy.Sort(out)
	return out
}

// Judge weighs every use against the hops from the control plane's minor from: an
// error for an API that a hop removes (or that is removed already), a warning for one
// that the last hop only deprecates. Without hops, the cluster as it is, is judged.
func Judge(s *Scan, from version.MinorVersion, hops []Hop) []Verdict {
	j := judgement{from: from, last: from, first: from}
	if len(hops) > 0 {
		j.first, j.last = hops[0].Minor, hops[len(hops)-1].Minor
	}
	for _, g := range groupUses(s.Uses) {
		j.use(g)
	}
	for _, c := range s.Charts {
		j.chart(c, hops)
	}
	for _, p := range s.Problems {
		j.problem(p)
	}
	if s.Metrics != nil {
		for _, d := range s.Metrics.Deprecated {
			j.requested(d, s.Metrics.Started)
		}
	}
	sort.SliceStable(j.out, func(a, b int) bool { return j.out[a].Hop.Compare(j.out[b].Hop) < 0 })
	return j.out
}

type judgement struct {
	from, first, last version.MinorVersion
	out               []Verdict
}

// classify says what a deprecated API means for the path: removed (and at which hop),
// deprecated at the last hop, or nothing yet.
func (j *judgement) classify(a API) (removed, deprecated bool, hop version.MinorVersion) {
	switch {
	case a.IsRemoved() && a.Removed.Compare(j.last) <= 0:
		if a.Removed.Compare(j.from) <= 0 {
			return true, false, j.first
		}
		return true, false, a.Removed
	case a.Deprecated.Compare(j.last) <= 0:
		return false, true, j.last
	}
	return false, false, version.MinorVersion{}
}

// when says when the API goes, for a message.
func (j *judgement) when(a API) string {
	if a.Removed.Compare(j.from) <= 0 {
		return fmt.Sprintf("removed in %s already: the control plane at %s no longer serves it", a.Removed, j.from)
	}
	return fmt.Sprintf("which %s removes", a.Removed)
}

func deprecatedWhen(a API) string {
	if a.IsRemoved() {
		return fmt.Sprintf("deprecated since %s and removed in %s", a.Deprecated, a.Removed)
	}
	return fmt.Sprintf("deprecated since %s (no removal planned yet)", a.Deprecated)
}

const removedRule = "Every manifest must use an API version the control plane serves at each hop: a release stops serving the APIs it removes, and applying them fails from then on."

// useGroup is the documents of one release, file or object that use one API.
type useGroup struct {
	first Use
	names []string
	docs  []string
}

func groupUses(uses []Use) []*useGroup {
	index := map[string]*useGroup{}
	var out []*useGroup
	for _, u := range uses {
		if _, ok := Lookup(u.APIVersion, u.Kind); !ok {
			continue
		}
		key := string(u.Source) + "\x00" + u.APIVersion + "\x00" + u.Kind + "\x00" + u.File
		switch {
		case u.Release != nil:
			key += "\x00" + u.Release.Namespace + "/" + u.Release.Name
		case u.Source == SourceObject:
			key += "\x00" + u.Namespace + "/" + u.Name
		}
		g := index[key]
		if g == nil {
			g = &useGroup{first: u}
			index[key] = g
			out = append(out, g)
		}
		if u.Name != "" {
			g.names = append(g.names, u.Name)
		}
		if u.Document > 0 {
			g.docs = append(g.docs, fmt.Sprint(u.Document))
		}
	}
	return out
}

func (j *judgement) use(g *useGroup) {
	u := g.first
	a, _ := Lookup(u.APIVersion, u.Kind)
	removed, deprecated, hop := j.classify(a)
	if !removed && !deprecated {
		return
	}
	what := u.Kind
	if len(g.names) > 0 {
		what += " " + strings.Join(g.names, ", ")
	}
	var id, subject, msg, fix string
	status := j.when(a)
	if deprecated {
		status = deprecatedWhen(a)
	}
	switch u.Source {
	case SourceHelm:
		r := u.Release
		id, subject = pick(removed, policy.HelmRemovedAPI, policy.HelmDeprecatedAPI), "helmrelease/"+r.Namespace+"/"+r.Name
		where := ""
		if u.File != "" {
			where = " (" + u.File + ")"
		}
		msg = fmt.Sprintf("Helm release %s/%s (revision %d%s) renders %s%s as %s, %s",
			r.Namespace, r.Name, r.Revision, chartText(r.Chart), what, where, u.APIVersion, status)
		fix = fmt.Sprintf("upgrade the release to a chart version that renders %s", a.ReplacementText(hop))
		if removed {
			fix += fmt.Sprintf(" before the control plane reaches %s; a release stored with a removed API needs the helm-mapkubeapis plugin before helm upgrade works again", a.Removed)
		}
	case SourceObject:
		id, subject = pick(removed, policy.ObjectRemovedAPI, policy.ObjectDeprecatedAPI), objectSubject(u)
		msg = fmt.Sprintf("%s was last applied as %s, %s", objectName(u), u.APIVersion, status)
		fix = fmt.Sprintf("change its manifest to %s and apply it again", a.ReplacementText(hop))
		if removed {
			fix += fmt.Sprintf(" before the control plane reaches %s: kubectl apply with the old manifest fails from then on", a.Removed)
		}
	default:
		id, subject = pick(removed, policy.FileRemovedAPI, policy.FileDeprecatedAPI), "file:"+u.File
		msg = fmt.Sprintf("%s (document %s) uses %s as %s, %s", u.File, strings.Join(g.docs, ", "), what, u.APIVersion, status)
		fix = fmt.Sprintf("change the manifest to %s", a.ReplacementText(hop))
	}
	sev := policy.Warning
	if removed {
		sev = policy.Error
	}
	j.out = append(j.out, Verdict{Hop: hop, Finding: policy.Finding{ID: id, Severity: sev, Subject: subject, Rule: removedRule, Message: msg, Fix: fix}})
}

func pick(removed bool, ifRemoved, ifDeprecated string) string {
	if removed {
		return ifRemoved
	}
	return ifDeprecated
}

func chartText(chart string) string {
	if chart == "" {
		return ""
	}
	return ", chart " + chart
}

func objectName(u Use) string {
	if u.Namespace != "" {
		return fmt.Sprintf("%s %s/%s", u.Kind, u.Namespace, u.Name)
	}
	return u.Kind + " " + u.Name
}

func objectSubject(u Use) string {
	s := strings.ToLower(u.Kind) + "/"
	if u.Namespace != "" {
		s += u.Namespace + "/"
	}
	return s + u.Name
}
