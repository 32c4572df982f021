package fleet

import (
	"sort"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// Report sorts the rows worst first (unreadable, then by errors, then by warnings,
// then by name) and counts them.
func Report(items []report.CheckReport, failOn policy.Severity, ch string) *report.CheckReportList {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if (a.Error != "") != (b.Error != "") {
			return a.Error != ""
		}
		if a.Summary.Errors != b.Summary.Errors {
			return a.Summary.Errors > b.Summary.Errors
		}
		if a.Summary.Warnings != b.Summary.Warnings {
			return a.Summary.Warnings > b.Summary.Warnings
		}
		return a.Context < b.Context
	})
	list := report.NewCheckReportList()
	list.Items = items
	s := &list.Summary
	s.Contexts, s.Channel, s.FailOn = len(items), ch, string(failOn)
	for _, it := range items {
		switch {
		case it.Error != "":
			s.Unreadable++
		case it.Summary.Failed:
			s.Failing++
		default:
			s.Clean++
		}
	}
	return list
}
