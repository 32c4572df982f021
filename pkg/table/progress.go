package table

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
)

// Progress prints one line per node as it starts and finishes and, on a
// terminal, keeps a progress bar with the hop and the ETA below those lines.
type Progress struct {
	w        io.Writer
	tty      bool
	color    bool
	barShown bool
	step     *upgrade.Step
	last     upgrade.Progress
}

func NewProgress(w io.Writer, tty, color bool) *Progress {
	return &Progress{w: w, tty: tty, color: color}
}

func (p *Progress) line(format string, args ...any) {
	if p.tty && p.barShown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.tty && p.barShown {
		p.drawBar()
	}
}

// Event prints one event of the run.
func (p *Progress) Event(e upgrade.Event) {
	if e.Step != nil {
		p.step = e.Step
	}
	if e.Progress.Total > 0 {
		p.last = e.Progress
	}
	switch e.Kind {
	case upgrade.EventRetry, upgrade.EventSnapshot, upgrade.EventSnapshotDone:
		p.line("%s", e.Message)
	case upgrade.EventPruned:
		p.line("plan.upgrade.cattle.io/%s deleted (superseded)", e.Message)
	case upgrade.EventApplied:
		for _, a := range e.Applied {
			p.line("plan.upgrade.cattle.io/%s %s", a.Name, a.Action)
		}
	case upgrade.EventNote:
		p.line("%s", e.Message)
	case upgrade.EventPhase:
		if e.Step.Phase == upgrade.PhaseCluster {
			return // the driver names its hops in its own notes
		}
		p.line("\n%s -> %s: %s", e.Step.HopLabel(), e.Step.Hop.To, phaseLine(e.Step))
		if p.tty && !p.barShown {
			p.barShown = true
			p.drawBar()
		}
	case upgrade.EventNode:
		p.node(e.Node)
	case upgrade.EventPhaseDone, upgrade.EventRecordon:
		if e.Message != "" {
			p.line("%s", e.Message)
		}
	case upgrade.EventWaiting:
		p.line("  waiting for %s", e.Message)
	}
}

func phaseLine(s *upgrade.Step) string {
	n := len(s.Nodes())
	if len(s.Plans) == 0 {
		// A driver without Plans moves exactly the step's nodes, all at once.
		switch {
		case s.Phase == upgrade.PhaseServers && n == 1:
			return fmt.Sprintf("upgrading server %s, the next one only once it is back", s.Nodes()[0].Name)
		case n == 1:
			return fmt.Sprintf("upgrading agent %s", s.Nodes()[0].Name)
		}
		return fmt.Sprintf("upgrading %d agents at once", n)
	}
	if s.Phase == upgrade.PhaseServers && s.Plans[0].Spec.Concurrency == 1 && n == 1 {
		return fmt.Sprintf("upgrading server %s (%s), the next one only once it is back", s.Nodes()[0].Name, PlanStrategy(s.Plans[0]))
	}
	what := text.Plural(n, "server")
	conc := s.Plans[0].Spec.Concurrency
	if s.Phase == upgrade.PhaseAgents {
		what = text.Plural(n, "agent")
	}
	pace := "one at a time"
	if conc > 1 {
		pace = fmt.Sprintf("%d at a time", conc)
	}
	return fmt.Sprintf("upgrading %s, %s (%s)", what, pace, PlanStrategy(s.Plans[0]))
}

func (p *Progress) node(ev upgrade.NodeEvent) {
	head := fmt.Sprintf("  %-7s %s  %s -> %s", ev.Role, ev.Node, ev.From, ev.To)
	count := ""
	if !p.tty && p.last.Total > 0 {
		count = fmt.Sprintf("  [%d/%d]", p.last.Done, p.last.Total)
	}
	switch ev.Kind {
	case upgrade.NodeStarted:
		p.line("%s  started", head)
	case upgrade.NodeFinished:
		p.line("%s  done in %s%s", head, RoundDuration(ev.Took), count)
	case upgrade.NodeAlready:
		p.line("%s  already done%s", head, count)
	case upgrade.NodeFailed:
		msg := "FAILED"
		if p.color {
			msg = ANSIRed + msg + ANSIReset
		}
		p.line("%s  %s: Job %s: %s", head, msg, ev.Job, ev.Message)
	}
}

func (p *Progress) drawBar() {
	const width = 24
	pr := p.last
	filled := 0
	if pr.Total > 0 {
		filled = pr.Done * width / pr.Total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	eta := "ETA --"
	if pr.ETA > 0 {
		eta = "ETA " + RoundDuration(pr.ETA)
	} else if pr.Total > 0 && pr.Done == pr.Total {
		eta = "done"
	}
	where := ""
	if p.step != nil {
		where = fmt.Sprintf(" | %s %s (%s)", p.step.HopLabel(), p.step.Phase, p.step.Hop.To)
	}
	fmt.Fprintf(p.w, "[%s] %d/%d node upgrades%s | %s", bar, pr.Done, pr.Total, where, eta)
}

// Finish clears the bar so that what follows starts on a clean line.
func (p *Progress) Finish() {
	if p.tty && p.barShown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.barShown = false
	}
}

// RoundDuration rounds d to what a person reads: 10ms under a second, 100ms
// under a minute, else seconds.
func RoundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
