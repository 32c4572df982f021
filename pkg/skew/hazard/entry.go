package hazard

import (
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Entry is one known hazard. Entries are data: the table in table.go is the only place
// a hazard is described, and docs/hazards.md is generated from it.
type Entry struct {
	// ID is stable and never reused (SKEW9xx); CI pipelines and --accept-hazard name it.
	ID    string
	Title string
	// Distros the hazard concerns; empty means every distribution.
	Distros []version.Distro
	// When is the hop the hazard concerns, for people (docs); Applies is the same for code.
	When    string
	Applies func(Hop) bool
	// Severity of each hit; Blocking hits fail the upgrade's hazards preflight check.
	Severity policy.Severity
	Blocking bool
	// Needs are the lists Judge reads; when one was skipped the entry is skipped too.
	Needs []Fact
	// Judge is pure: the hits for this hop given the facts.
	Judge  func(Hop, *Facts) []Hit
	Fix    string
	Source string
}

// Hit is one subject a hazard concerns: "node/agent-3", "ingressroute/web/app".
type Hit struct {
	Subject string
	Message string
	// Unknown marks a subject the judgement could not check (malformed node-args): it
	// is reported as a warning, never as a pass and never as blocking.
	Unknown bool
}

// concerns reports whether the entry is about the hop's distribution.
func (e *Entry) concerns(d version.Distro) bool {
	if len(e.Distros) == 0 {
		return true
	}
	for _, x := range e.Distros {
		if x == d {
			return true
		}
	}
	return false
}

// Relevant reports whether the entry concerns this hop at all.
func (e *Entry) Relevant(h Hop) bool {
	return e.concerns(h.To.Distro) && e.Applies(h)
}

// ByID finds an entry of the table.
func ByID(id string) (*Entry, bool) {
	for i := range Table {
		if Table[i].ID == id {
			return &Table[i], true
		}
	}
	return nil, false
}
