package hazard

// removal is one upstream flag removal as the judgement reads it. The data is the
// RemovedFlags table (removedflags.go, kept with the deprecation data); until that table
// is part of this package, removals is empty and SKEW906 only names unreadable node-args.
type removal struct {
	Component   string
	Flag        string
	Removed     int
	Replacement string
	Source      string
}

// removals adapts the removed-flags table; a variable so tests can inject data.
var removals = func() []removal { return nil }
