package upgrade

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
	"github.com/kubectl-skew/kubectl-skew/pkg/table"
)

// writeUpgradeReport prints what upgrade checked and is about to apply: the
// preflight checks, the path, and the step's Plans.
func writeUpgradeReport(w io.Writer, r *report.UpgradeReport, color bool) error {
	var buf bytes.Buffer
	s := r.Summary
	head := fmt.Sprintf("%s cluster", version.Distro(s.Distro).Name())
	if s.Target != "" {
		head += ", target " + s.Target
	}
	if r.Path != nil {
		head += fmt.Sprintf(" (%s)", r.Path.Summary.TargetSource)
		head += ": " + cmdutil.Plural(r.Path.Summary.Hops, "hop")
	}
	fmt.Fprintln(&buf, head)

	fmt.Fprintln(&buf, "\nPREFLIGHT")
	tw := printers.GetNewTabWriter(&buf)
	fmt.Fprintln(tw, "CHECK\tRESULT\tDETAILS")
	for _, c := range r.Preflight {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Result, c.Message)
		if c.Fix != "" && (c.Result == string(preflight.Fail) || c.Result == string(preflight.Warn)) {
			fmt.Fprintf(tw, "\t\tfix: %s\n", c.Fix)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s.Refused {
		fmt.Fprintln(&buf, "\nREFUSED: a preflight check failed; nothing was changed. Fix it and run the command again.")
		_, err := io.Copy(w, paintChecks(&buf, color))
		return err
	}

	if r.Path != nil && len(r.Path.Hops) > 0 {
		fmt.Fprintln(&buf, "\nPATH")
		tw = printers.GetNewTabWriter(&buf)
		fmt.Fprintln(tw, "HOP\tKIND\tFROM\tTO\tSERVERS\tAGENTS\tSOURCE")
		for _, h := range r.Path.Hops {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Hop, h.Kind, h.From, h.To, table.NodesCell(h.Servers, false), table.NodesCell(h.Agents, false), h.Source)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, n := range r.Path.Notes {
			fmt.Fprintf(&buf, "- %s\n", n)
		}
	}
	if len(r.Plans) > 0 {
		step := fmt.Sprintf("hop %d of %d", s.Hop, s.Hops)
		if s.Hop == 0 {
			step = "current hop"
		}
		resumed := ""
		if s.Resumed {
			resumed = ", resumed"
		}
		fmt.Fprintf(&buf, "\nPLANS (%s, %s%s; namespace %s)\n", step, s.Phase, resumed, s.Namespace)
		tw = printers.GetNewTabWriter(&buf)
		fmt.Fprintln(tw, "NAME\tROLE\tVERSION\tNODES\tCONCURRENCY\tSTRATEGY\tACTION")
		for _, p := range r.Plans {
			action := p.Action
			if action == "" {
				action = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", p.Name, p.Role, p.Version, p.Nodes, p.Concurrency, p.Strategy, action)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(r.Pruned) > 0 {
			fmt.Fprintf(&buf, "Also deletes our superseded Plans: %s\n", strings.Join(r.Pruned, ", "))
		}
		if s.Waiting != "" {
			fmt.Fprintf(&buf, "\nWAITING for %s\n", s.Waiting)
		}
	}
	_, err := io.Copy(w, paintChecks(&buf, color))
	return err
}

// paintChecks colours pass/warn/fail cells after alignment (as table.Options.Color does).
func paintChecks(buf *bytes.Buffer, color bool) io.Reader {
	if !color {
		return buf
	}
	b := buf.Bytes()
	for word, code := range map[string]string{"fail": table.ANSIRed, "warn": table.ANSIYellow, "REFUSED": table.ANSIRed} {
		b = bytes.ReplaceAll(b, []byte(" "+word+" "), []byte(" "+code+word+table.ANSIReset+" "))
	}
	return bytes.NewReader(b)
}

// strategy describes how a Plan treats its nodes.
func strategy(p *upgradev1.Plan) string {
	var parts []string
	if p.Spec.Prepare != nil {
		parts = append(parts, "prepare")
	}
	switch {
	case p.Spec.Drain != nil:
		parts = append(parts, "drain")
	case p.Spec.Cordon:
		parts = append(parts, "cordon")
	}
	if p.Labels[suc.LabelRole] == suc.RoleSnapshot {
		parts = append(parts, "etcd-snapshot")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "+")
}

// progressPrinter prints one line per node as it starts and finishes and, on a
// terminal, keeps a progress bar with the hop and the ETA below those lines.
type progressPrinter struct {
	w        io.Writer
	tty      bool
	color    bool
	barShown bool
	step     *upgrade.Step
	last     upgrade.Progress
}

func newProgressPrinter(w io.Writer, tty, color bool) *progressPrinter {
	return &progressPrinter{w: w, tty: tty, color: color}
}

func (p *progressPrinter) line(format string, args ...any) {
	if p.tty && p.barShown {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, format+"\n", args...)
	if p.tty && p.barShown {
		p.drawBar()
	}
}

func (p *progressPrinter) event(e upgrade.Event) {
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
	if s.Phase == upgrade.PhaseServers && s.Plans[0].Spec.Concurrency == 1 && n == 1 {
		return fmt.Sprintf("upgrading server %s (%s), the next one only once it is back", s.Nodes()[0].Name, strategy(s.Plans[0]))
	}
	what := cmdutil.Plural(n, "server")
	conc := s.Plans[0].Spec.Concurrency
	if s.Phase == upgrade.PhaseAgents {
		what = cmdutil.Plural(n, "agent")
	}
	pace := "one at a time"
	if conc > 1 {
		pace = fmt.Sprintf("%d at a time", conc)
	}
	return fmt.Sprintf("upgrading %s, %s (%s)", what, pace, strategy(s.Plans[0]))
}

func (p *progressPrinter) node(ev upgrade.NodeEvent) {
	head := fmt.Sprintf("  %-7s %s  %s -> %s", ev.Role, ev.Node, ev.From, ev.To)
	count := ""
	if !p.tty && p.last.Total > 0 {
		count = fmt.Sprintf("  [%d/%d]", p.last.Done, p.last.Total)
	}
	switch ev.Kind {
	case upgrade.NodeStarted:
		p.line("%s  started", head)
	case upgrade.NodeFinished:
		p.line("%s  done in %s%s", head, roundDuration(ev.Took), count)
	case upgrade.NodeAlready:
		p.line("%s  already done%s", head, count)
	case upgrade.NodeFailed:
		msg := "FAILED"
		if p.color {
			msg = table.ANSIRed + msg + table.ANSIReset
		}
		p.line("%s  %s: Job %s: %s", head, msg, ev.Job, ev.Message)
	}
}

func (p *progressPrinter) drawBar() {
	const width = 24
	pr := p.last
	filled := 0
	if pr.Total > 0 {
		filled = pr.Done * width / pr.Total
	}
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	eta := "ETA --"
	if pr.ETA > 0 {
		eta = "ETA " + roundDuration(pr.ETA)
	} else if pr.Total > 0 && pr.Done == pr.Total {
		eta = "done"
	}
	where := ""
	if p.step != nil {
		where = fmt.Sprintf(" | %s %s (%s)", p.step.HopLabel(), p.step.Phase, p.step.Hop.To)
	}
	fmt.Fprintf(p.w, "[%s] %d/%d node upgrades%s | %s", bar, pr.Done, pr.Total, where, eta)
}

// finish clears the bar so that what follows starts on a clean line.
func (p *progressPrinter) finish() {
	if p.tty && p.barShown {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.barShown = false
	}
}

func roundDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// writeUpgradeSummary closes a --wait run: the target reached and how long each phase took.
func writeUpgradeSummary(w io.Writer, res *upgrade.Outcome, target version.Version, took time.Duration, ns string) {
	nodes := 0
	for _, ph := range res.Phases {
		nodes += ph.Nodes
	}
	fmt.Fprintf(w, "\nUpgrade complete: every node runs %s (%s in %s).\n", target, cmdutil.Plural(nodes, "node upgrade"), roundDuration(took))
	if len(res.Phases) > 0 {
		tw := printers.GetNewTabWriter(w)
		fmt.Fprintln(tw, "HOP\tPHASE\tTO\tNODES\tTOOK")
		for _, ph := range res.Phases {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", ph.Hop, ph.Phase, ph.To, ph.Nodes, roundDuration(ph.Took))
		}
		_ = tw.Flush()
	}
	if res.Snapshot.Snapshot != "" {
		fmt.Fprintf(w, "Pre-upgrade etcd snapshot: %s on %s (kubectl skew status explains a rollback).\n", res.Snapshot.Snapshot, res.Snapshot.SnapshotNode)
	}
	fmt.Fprintf(w, "\nNEXT: kubectl skew check confirms the skew rules; the Plans stay as a record (kubectl delete plans -n %s -l %s removes them)\n", ns, suc.OwnedSelector)
}
