package upgrade

import (
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// tally counts node upgrades over the run and estimates the time left from the
// average Job duration, the concurrency of each role and the nodes left.
type tally struct {
	done                    int
	serversLeft, agentsLeft int
	sum                     time.Duration
	finished                int
	serverConc, agentConc   int64
}

func newTally(p *upgradepath.Path, first *Step, cfg suc.PlanConfig) tally {
	t := tally{serverConc: cfg.ServerConcurrency, agentConc: cfg.AgentConcurrency}
	t.count(p, first)
	return t
}

// count sets what is left: the path's hops, plus the agents of a step nextStep put
// in front of them (the agents of a hop whose servers are done).
func (t *tally) count(p *upgradepath.Path, first *Step) {
	t.serversLeft, t.agentsLeft = 0, 0
	for _, h := range p.Hops {
		t.serversLeft += len(h.Servers)
		t.agentsLeft += len(h.Agents)
	}
	if first == nil || first.Phase != PhaseAgents {
		return
	}
	// The step stands in for the path's first hop when both go to one version (the
	// planner's catch-up hop may name fewer agents than the step moves).
	if len(p.Hops) > 0 && p.Hops[0].To.Equal(first.Hop.To) {
		t.agentsLeft -= len(p.Hops[0].Agents)
	}
	t.agentsLeft += len(first.Hop.Agents)
}

func (t *tally) observe(ev NodeEvent, phase Phase) {
	if ev.Kind != NodeFinished && ev.Kind != NodeAlready {
		return
	}
	t.done++
	if phase == PhaseServers && t.serversLeft > 0 {
		t.serversLeft--
	} else if phase == PhaseAgents && t.agentsLeft > 0 {
		t.agentsLeft--
	}
	if ev.Kind == NodeFinished {
		t.sum += ev.Took
		t.finished++
	}
}

func (t *tally) progress() Progress {
	p := Progress{Done: t.done, Total: t.done + t.serversLeft + t.agentsLeft}
	if t.finished > 0 {
		avg := t.sum / time.Duration(t.finished)
		p.ETA = avg*time.Duration(ceilDiv(t.serversLeft, t.serverConc)) + avg*time.Duration(ceilDiv(t.agentsLeft, t.agentConc))
	}
	return p
}

func ceilDiv(n int, c int64) int {
	if c < 1 {
		c = 1
	}
	return int((int64(n) + c - 1) / c)
}
