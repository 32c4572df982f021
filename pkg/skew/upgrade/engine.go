package upgrade

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// Execute applies the proposal's step and, with Wait, goes on to the target through
// the proposal's driver. It refuses a proposal that was refused: a failed check
// writes nothing.
func Execute(ctx context.Context, cfg Config, p *Proposal) (*Outcome, error) {
	if err := p.Refusal(); err != nil {
		return nil, err
	}
	if p.Step == nil {
		if t, ok := p.driver.(Tidier); ok {
			if err := t.Tidy(ctx, p); err != nil {
				return nil, err
			}
		}
		return &Outcome{Complete: true}, nil
	}
	// The driver holds the Config it read with: this run's settings (its Emit above
	// all) replace it, and every node event is counted toward the run's progress.
	*p.cfg = cfg
	e := &engine{cfg: p.cfg, d: p.driver}
	emit := cfg.Emit
	e.cfg.Emit = func(ev Event) {
		if ev.Kind == EventNode && ev.Step != nil {
			e.tally.observe(ev.Node, ev.Step.Phase)
			ev.Progress = e.tally.progress()
		}
		if emit != nil {
			emit(ev)
		}
	}
	out, err := e.run(ctx, p)
	// A run stopped by Ctrl-C still ends its record: with a context of its own.
	end, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	e.d.End(end, out, err)
	return out, err
}

// engine walks a path with one driver: it applies a step, with Wait follows it,
// has it verified and goes on with the next, until the target. The order (servers
// one at a time, each back before the next; agents once the control plane runs the
// hop) comes from the steps; the gates hold a step back while its Waiting is set.
type engine struct {
	cfg   *Config
	d     Driver
	tally tally
}

func (e *engine) run(ctx context.Context, p *Proposal) (*Outcome, error) {
	out := &Outcome{}
	path, step := p.Path, p.Step
	e.tally = newTally(path, step, e.cfg.Plans)
	if err := e.d.Begin(ctx, p, out); err != nil {
		return out, err
	}
	for {
		var err error
		if len(step.Waiting) > 0 {
			if !e.cfg.Wait {
				out.Last = step
				return out, nil
			}
			if path, step, err = e.waitSettled(ctx, step, path); err != nil || step == nil {
				out.Complete = err == nil
				return out, err
			}
			e.tally.count(path, step)
			continue
		}
		if err := e.d.Apply(ctx, step, out); err != nil {
			return out, err
		}
		out.Last = step
		if !e.cfg.Wait {
			return out, nil
		}

		began := time.Now()
		e.cfg.emit(Event{Kind: EventPhase, Step: step, Progress: e.tally.progress()})
		if err := e.d.Follow(ctx, step); err != nil {
			return out, err
		}
		out.Phases = append(out.Phases, PhaseTime{Hop: step.HopLabel(), Phase: step.Phase, To: step.Hop.To.String(), Nodes: len(step.Nodes()), Took: time.Since(began)})

		prev := step
		if path, step, err = e.d.Next(ctx, prev, path); err != nil {
			return out, err
		}
		if prev.Canary {
			// Verified: the canary agents run the version, are Ready, and broke no rule.
			out.Canary = prev
			return out, nil
		}
		e.cfg.emit(Event{Kind: EventPhaseDone, Step: prev, Progress: e.tally.progress(), Message: phaseDoneLine(prev, step)})
		if step == nil {
			out.Complete = true
			return out, nil
		}
		if len(step.Waiting) == 0 && step.Phase == prev.Phase && step.Hop.To.Equal(prev.Hop.To) && step.ServerPlan == prev.ServerPlan && sameNodes(step.Nodes(), prev.Nodes()) {
			return out, fmt.Errorf("%s %s reported done, yet the cluster still needs it (nodes %s); run kubectl skew status and kubectl skew plan to see why",
				prev.HopLabel(), prev.Phase, stepNames(step.Nodes()))
		}
		e.tally.count(path, step)
	}
}

func sameNodes(a, b []upgradepath.NodeStep) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name {
			return false
		}
	}
	return true
}

// waitSettled waits until nothing holds the next step back: each released server
// is back, the control plane runs the hop's version. A Watching driver's gates are
// judged again at each change its watches see (and every gateResync, for what only
// time changes); another driver's every gatePoll. It gives up after NodeTimeout,
// naming what is missing; nothing further is applied then.
func (e *engine) waitSettled(ctx context.Context, step *Step, path *upgradepath.Path) (*upgradepath.Path, *Step, error) {
	limit := e.cfg.nodeTimeout()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	watching, _ := e.d.(Watching)
	var changed <-chan struct{}
	if watching != nil {
		// The step was judged before the watches' latest changes: judge it again now.
		changed = closed
	}
	said := ""
	for {
		if line := WaitingLine(step.Waiting); line != said {
			e.cfg.emit(Event{Kind: EventWaiting, Step: step, Message: line})
			said = line
		}
		wait := gatePoll
		if changed != nil {
			wait = gateResync
		}
		resync := time.NewTimer(wait)
		expired := false
		select {
		case <-ctx.Done():
			resync.Stop()
			return nil, nil, ctx.Err()
		case <-changed:
		case <-resync.C:
		case <-deadline.C:
			expired = true
		}
		resync.Stop()
		if watching != nil {
			// Taken before the read: a change after it is never missed.
			changed = watching.Changed()
		}
		next, st, err := e.d.Next(ctx, nil, path)
		if err != nil || st == nil || len(st.Waiting) == 0 {
			return next, st, err
		}
		step = st
		if expired {
			return nil, nil, &NotBackError{Waiting: st.Waiting, After: limit}
		}
	}
}

// Tidier is a Driver that may have something of an earlier run of its own to end
// when the cluster already runs the target: Execute calls Tidy instead of a step.
type Tidier interface {
	Tidy(ctx context.Context, p *Proposal) error
}

// Watching is a Driver whose gates read caches kept by watches: Changed is closed
// at the next change they see (nil while none run), and the engine waits on it
// instead of a timer.
type Watching interface {
	Changed() <-chan struct{}
}

// closed is a channel that never blocks.
var closed = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// gatePoll is how often waitSettled asks a driver that does not watch; gateResync
// how often it asks a watching one with nothing changed, for decisions that only
// elapsed time changes.
var (
	gatePoll   = time.Second
	gateResync = 30 * time.Second
)

// NotBackError stops a run whose servers did not come back, or whose control plane
// did not reach the hop's version, within the node timeout.
type NotBackError struct {
	Waiting map[string]string
	After   time.Duration
}

func (e *NotBackError) Error() string {
	return fmt.Sprintf("not back within %s: %s; nothing further was applied", e.After, WaitingLine(e.Waiting))
}

// WaitingLine says what a step waits for, in one line.
func WaitingLine(w map[string]string) string {
	names := make([]string, 0, len(w))
	for n := range w {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + w[n]
	}
	return strings.Join(parts, "; ")
}

// phaseDoneLine says what a finished step did; "" for a step whose driver says it
// in its own words (Rancher's hops).
func phaseDoneLine(step, next *Step) string {
	switch {
	case step.Phase == PhaseCluster:
		return ""
	case next == nil:
		return fmt.Sprintf("every node runs %s", step.Hop.To)
	case step.Phase == PhaseServers && next.Phase == PhaseAgents && next.Hop.To.Equal(step.Hop.To):
		return fmt.Sprintf("every server runs %s: releasing the agents", step.Hop.To)
	case step.Phase == PhaseServers && next.Phase == PhaseServers && next.Hop.To.Equal(step.Hop.To):
		return fmt.Sprintf("%s upgraded to %s; the next server goes once it is back", stepNames(step.Nodes()), step.Hop.To)
	}
	return fmt.Sprintf("%s done: every node of it runs %s and the skew rules hold", step.HopLabel(), step.Hop.To)
}

func stepNames(steps []upgradepath.NodeStep) string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Name
	}
	return text.Sample(names, 5)
}
