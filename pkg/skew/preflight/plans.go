package preflight

import (
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// checkPlans refuses other Plans that select nodes we upgrade, and failed Jobs of
// our own Plans from an earlier run.
func checkPlans(v verdicts, f *Facts, o Options) {
	if f.PlanAPIErr != nil || !f.PlanAPIServed {
		v.add(CheckForeignPlans, Skipped, "the Plan API is not served", "")
		v.add(CheckFailedJobs, Skipped, "the Plan API is not served", "")
		return
	}
	if apierrors.IsForbidden(f.PlansErr) {
		// The permissions check names what is missing; this one cannot be made.
		v.add(CheckForeignPlans, Skipped, fmt.Sprintf("cannot list plans in %s (forbidden)", o.Namespace), "")
		v.add(CheckFailedJobs, Skipped, "plans could not be listed", "")
		return
	}
	if f.PlansErr != nil {
		v.add(CheckForeignPlans, Fail, fmt.Sprintf("list plans in %s: %v", o.Namespace, f.PlansErr), "ask for list on plans.upgrade.cattle.io in "+o.Namespace)
		v.add(CheckFailedJobs, Skipped, "plans could not be listed", "")
		return
	}
	targets := pathNodes(f.Path)
	var ours, conflicts []string
	for i := range f.Plans {
		p := &f.Plans[i]
		if suc.IsOurs(p.Labels) {
			ours = append(ours, p.Name)
			continue
		}
		if hit := suc.Selects(p, f.Nodes, targets); len(hit) > 0 {
			conflicts = append(conflicts, fmt.Sprintf("%s (selects %s)", p.Name, text.Sample(hit, 3)))
		}
	}
	resume := ""
	if len(ours) > 0 {
		resume = fmt.Sprintf("; %s of ours from an earlier run (%s) will be resumed", text.Plural(len(ours), "Plan"), strings.Join(ours, ", "))
	}
	if len(conflicts) > 0 {
		v.add(CheckForeignPlans, Fail, fmt.Sprintf("other Plans in %s would upgrade the same nodes: %s%s", o.Namespace, strings.Join(conflicts, "; "), resume),
			"delete them, or opt the nodes out with the node label plan.upgrade.cattle.io/<plan>=disabled")
	} else {
		v.add(CheckForeignPlans, Pass, fmt.Sprintf("no other Plan in %s selects the nodes to upgrade%s", o.Namespace, resume), "")
	}
	checkFailedJobs(v, f, o, len(ours) > 0)
}

// pathNodes is every node name the path upgrades; nil means all nodes.
func pathNodes(p *upgradepath.Path) map[string]bool {
	if p == nil {
		return nil
	}
	out := map[string]bool{}
	for _, h := range p.Hops {
		for _, s := range h.Servers {
			out[s.Name] = true
		}
		for _, s := range h.Agents {
			out[s.Name] = true
		}
	}
	return out
}

func checkFailedJobs(v verdicts, f *Facts, o Options, haveOurs bool) {
	if !haveOurs {
		v.add(CheckFailedJobs, Pass, "no Plan of ours from an earlier run", "")
		return
	}
	if f.JobsErr != nil {
		v.add(CheckFailedJobs, Fail, fmt.Sprintf("list jobs in %s: %v", o.Namespace, f.JobsErr), "ask for list on jobs.batch in "+o.Namespace)
		return
	}
	failed := suc.FailedJobs(f.Jobs)
	if len(failed) == 0 {
		v.add(CheckFailedJobs, Pass, "no failed upgrade Job", "")
		return
	}
	lines := make([]string, 0, len(failed))
	for _, j := range failed {
		lines = append(lines, fmt.Sprintf("Job %s on node %s: %s", j.Job, j.Node, j.Message))
	}
	msg := strings.Join(lines, "; ")
	if o.RetryFailed {
		v.add(CheckFailedJobs, Warn, msg+"; --retry-failed deletes them so that the controller runs them again", "")
		return
	}
	v.add(CheckFailedJobs, Fail, msg,
		"fix the cause on the node, then run the same command with --retry-failed (it deletes the failed Job so the controller runs it again)")
}
