package deprecation

import (
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

const chartRule = "A chart's kubeVersion must admit the cluster's version: Helm refuses to install or upgrade a release whose chart excludes it."

// chart checks a chart's kubeVersion against each hop, as Helm does against the
// server's version, and reports the first hop it excludes.
func (j *judgement) chart(c Chart, hops []Hop) {
	r := c.Release
	subject := "helmrelease/" + r.Namespace + "/" + r.Name
	name := fmt.Sprintf("Helm release %s/%s (revision %d%s)", r.Namespace, r.Name, r.Revision, chartText(r.Chart))
	constraint, err := semver.NewConstraint(c.KubeVersion)
	if err != nil {
		j.out = append(j.out, Verdict{Hop: j.first, Finding: policy.Finding{
			ID: policy.HelmKubeVersion, Severity: policy.Warning, Subject: subject, Rule: chartRule,
			Message: fmt.Sprintf("%s: its chart's kubeVersion %q cannot be read (%v), so Helm refuses the release on any cluster", name, c.KubeVersion, err),
			Fix:     "correct the chart's kubeVersion, or upgrade to a chart version that has a valid one",
		}})
		return
	}
	for _, h := range hops {
		if admits(constraint, h) {
			continue
		}
		at := h.Minor.String()
		if h.Version != nil {
			at = h.Version.String()
		}
		j.out = append(j.out, Verdict{Hop: h.Minor, Finding: policy.Finding{
			ID: policy.HelmKubeVersion, Severity: policy.Error, Subject: subject, Rule: chartRule,
			Message: fmt.Sprintf("%s: its chart's kubeVersion %q excludes %s, so helm upgrade fails once the control plane is there", name, c.KubeVersion, at),
			Fix:     fmt.Sprintf("upgrade the release to a chart version whose kubeVersion admits %s before that hop", at),
		}})
		return
	}
}

// admits says whether the constraint lets Helm deploy at the hop. Without an exact
// version, any release of the minor will do: the first and a late patch are tried.
func admits(c *semver.Constraints, h Hop) bool {
	if h.Version != nil {
		v, err := semver.NewVersion(h.Version.String())
		return err != nil || c.Check(v)
	}
	for _, patch := range []uint64{0, 999} {
		if c.Check(semver.New(h.Minor.Major, h.Minor.Minor, patch, "", "")) {
			return true
		}
	}
	return false
}

func (j *judgement) problem(p Problem) {
	f := policy.Finding{Severity: policy.Warning}
	switch p.Source {
	case SourceHelm:
		r := p.Release
		f.ID, f.Subject = policy.HelmUnreadable, "helmrelease/"+r.Namespace+"/"+r.Name
		f.Rule = "Every deployed Helm release is read to find the APIs it uses."
		where := ""
		if p.Document > 0 {
			where = fmt.Sprintf(", document %d of its manifest", p.Document)
		}
		f.Message = fmt.Sprintf("Helm release %s/%s (revision %d, %s%s) could not be read: %s; the APIs it uses are unknown", r.Namespace, r.Name, r.Revision, r.Storage, where, p.Reason)
		f.Fix = fmt.Sprintf("inspect it with helm get manifest %s -n %s; raise --max-release-size if it is only large", r.Name, r.Namespace)
	default:
		f.ID, f.Subject = policy.FileUnreadable, "file:"+p.File
		f.Rule = "Every document of a -f manifest is read to find the APIs it uses."
		f.Message = fmt.Sprintf("%s document %d could not be read: %s; the APIs it uses are unknown", p.File, p.Document, p.Reason)
		f.Fix = "correct the document, or leave the file out"
	}
	j.out = append(j.out, Verdict{Hop: j.first, Finding: f})
}

// requested judges an API the apiserver's gauge says a client asked for.
func (j *judgement) requested(d DeprecatedAPI, started time.Time) {
	since := "since the apiserver that answered started"
	if !started.IsZero() {
		since += " (" + started.UTC().Format("2006-01-02 15:04 MST") + ")"
	}
	f := policy.Finding{Subject: "api/" + d.GVR(),
		Rule: "Clients must stop requesting an API before the release that removes it; the apiserver counts every request of a deprecated API since it started."}
	hop := j.last
	switch {
	case d.removed != nil && d.removed.Compare(j.from) > 0 && d.removed.Compare(j.last) <= 0:
		f.ID, f.Severity, hop = policy.RequestedRemovedAPI, policy.Error, *d.removed
		f.Message = fmt.Sprintf("a client requested %s %s, which %s removes", d.GVR(), since, d.removed)
		f.Fix = fmt.Sprintf("find the client (the audit log, or kubectl get --raw /metrics | grep apiserver_requested_deprecated_apis) and move it to the replacement before %s", d.removed)
	case d.removed == nil || d.removed.Compare(j.last) > 0:
		f.ID, f.Severity = policy.RequestedDeprecatedAPI, policy.Warning
		when := "no removal planned yet"
		if d.removed != nil {
			when = "removed in " + d.removed.String()
		} else {
			// Every cluster's own garbage collector and namespace controller list
			// every resource, so such an API (v1 Endpoints from v1.33) is requested
			// on every cluster, and nothing breaks: for information only.
			f.Severity = policy.Info
		}
		f.Message = fmt.Sprintf("a client requested %s %s; it is deprecated (%s)", d.GVR(), since, when)
		f.Fix = "move the client to the API's replacement"
	default:
		return
	}
	j.out = append(j.out, Verdict{Hop: hop, Finding: f})
}

// Summary is one line on what was scanned, for the human report.
func (s *Scan) Summary() string {
	var parts []string
	if s.ReleasesRead {
		parts = append(parts, text.Plural(s.Releases, "Helm release"))
	}
	if s.ObjectsRead {
		parts = append(parts, text.Plural(s.Objects, "applied object"))
	}
	if s.Files > 0 {
		parts = append(parts, text.Plural(s.Files, "manifest file"))
	}
	if s.Metrics != nil {
		parts = append(parts, "the apiserver's /metrics")
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
