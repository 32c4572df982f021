package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/preflight"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// WriteUpgrade prints what upgrade checked and is about to apply: the
// preflight checks, the path, and the step's Plans.
func WriteUpgrade(w io.Writer, r *report.UpgradeReport, color bool) error {
	var buf bytes.Buffer
	s := r.Summary
	head := fmt.Sprintf("%s cluster", version.Distro(s.Distro).Name())
	if s.Target != "" {
		head += ", target " + s.Target
	}
	if r.Path != nil {
		head += fmt.Sprintf(" (%s)", r.Path.Summary.TargetSource)
		head += ": " + text.Plural(r.Path.Summary.Hops, "hop")
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
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Hop, h.Kind, h.From, h.To, NodesCell(h.Servers, false), NodesCell(h.Agents, false), h.Source)
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
	for word, code := range map[string]string{"fail": ANSIRed, "warn": ANSIYellow, "REFUSED": ANSIRed} {
		b = bytes.ReplaceAll(b, []byte(" "+word+" "), []byte(" "+code+word+ANSIReset+" "))
	}
	return bytes.NewReader(b)
}

// PlanStrategy describes how a Plan treats its nodes.
func PlanStrategy(p *upgradev1.Plan) string {
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

// WriteUpgradeSummary closes a --wait run: the target reached and how long each
// phase took; ns is the namespace of the run's Plans, "" for a driver without any.
func WriteUpgradeSummary(w io.Writer, res *upgrade.Outcome, target version.Version, took time.Duration, ns string) {
	nodes := 0
	for _, ph := range res.Phases {
		nodes += ph.Nodes
	}
	fmt.Fprintf(w, "\nUpgrade complete: every node runs %s (%s in %s).\n", target, text.Plural(nodes, "node upgrade"), RoundDuration(took))
	if len(res.Phases) > 0 {
		tw := printers.GetNewTabWriter(w)
		fmt.Fprintln(tw, "HOP\tPHASE\tTO\tNODES\tTOOK")
		for _, ph := range res.Phases {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", ph.Hop, ph.Phase, ph.To, ph.Nodes, RoundDuration(ph.Took))
		}
		_ = tw.Flush()
	}
	if res.Snapshot.Snapshot != "" {
		fmt.Fprintf(w, "Pre-upgrade etcd snapshot: %s on %s (kubectl skew status explains a rollback).\n", res.Snapshot.Snapshot, res.Snapshot.SnapshotNode)
	}
	if ns == "" {
		fmt.Fprintln(w, "\nNEXT: kubectl skew check confirms the skew rules")
		return
	}
	fmt.Fprintf(w, "\nNEXT: kubectl skew check confirms the skew rules; the Plans stay as a record (kubectl delete plans -n %s -l %s removes them)\n", ns, suc.OwnedSelector)
}
