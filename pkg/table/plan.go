package table

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/release"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// WritePlan draws an upgrade plan: the summary line, the hop table, what each hop
// changes in the bundled components, notes, removed APIs and hazards by hop, blocking
// findings and the next step. Wide names the nodes of each hop, its image, every
// component change and every finding that gates a hop, not only the blocking ones.
func WritePlan(w io.Writer, r *report.PlanReport, opts Options) error {
	wide := opts.Wide
	var buf bytes.Buffer
	fmt.Fprintln(&buf, planSummaryLine(r))
	if len(r.Hops) > 0 {
		fmt.Fprintln(&buf)
		tw := printers.GetNewTabWriter(&buf)
		header := "HOP\tKIND\tFROM\tTO\tSERVERS\tAGENTS\tSOURCE\tBLOCKING"
		if wide {
			header += "\tIMAGE"
		}
		fmt.Fprintln(tw, header)
		for _, h := range r.Hops {
			row := fmt.Sprintf("%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s", h.Hop, h.Kind, h.From, h.To,
				NodesCell(h.Servers, wide), NodesCell(h.Agents, wide), h.Source, blockingCell(h))
			if wide {
				row += "\t" + text.OrDash(h.Image)
			}
			fmt.Fprintln(tw, row)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	var nix [][]string
	for _, h := range r.Hops {
		if h.Nixpkgs != "" {
			nix = append(nix, []string{fmt.Sprint(h.Hop), h.To, "pkgs." + h.Nixpkgs})
		}
	}
	if err := section(&buf, "NIXOS (the NixOS nodes move when their configuration names each hop's package; upgrade with --driver command or manual)", []string{"HOP", "TO", "PACKAGE"}, nix); err != nil {
		return err
	}
	if err := writeComponents(&buf, r, wide); err != nil {
		return err
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(&buf, "\nNOTES")
		for _, n := range r.Notes {
			fmt.Fprintf(&buf, "- %s\n", n)
		}
	}
	if a := r.APIs; a != nil {
		verdict := "nothing a hop removes is in use"
		for _, h := range r.Hops {
			if len(h.APIs) > 0 {
				verdict = "findings below, by hop"
			}
		}
		fmt.Fprintf(&buf, "\nREMOVED APIS: scanned %s: %s\n", a.Scanned, verdict)
	}
	for _, h := range r.Hops {
		if len(h.APIs) > 0 {
			fmt.Fprintf(&buf, "\nREMOVED APIS AT HOP %d (%s)\n", h.Hop, h.To)
			if err := writeFindingRows(&buf, h.APIs); err != nil {
				return err
			}
		}
	}
	for _, h := range r.Hops {
		if len(h.Hazards) > 0 {
			fmt.Fprintf(&buf, "\nHAZARDS AT HOP %d (%s)\n", h.Hop, h.To)
			if err := writeFindingRows(&buf, h.Hazards); err != nil {
				return err
			}
		}
	}
	for _, h := range r.Hops {
		shown := h.Blocking
		title := "BLOCKING HOP %d (%s)"
		if wide {
			shown, title = h.Findings, "CHECKS BEFORE HOP %d (%s)"
		}
		if len(shown) == 0 {
			continue
		}
		fmt.Fprintf(&buf, "\n"+title+"\n", h.Hop, h.To)
		if err := writeFindingRows(&buf, shown); err != nil {
			return err
		}
	}
	fmt.Fprintf(&buf, "\nNEXT: %s\n", r.Summary.Next)
	return flush(w, buf.Bytes(), opts.Color)
}

func planSummaryLine(r *report.PlanReport) string {
	s := r.Summary
	servers := "servers on " + s.LowestServer
	if s.HighestServer != s.LowestServer {
		servers = fmt.Sprintf("servers on %s to %s", s.LowestServer, s.HighestServer)
	}
	source := s.TargetSource
	switch {
	case s.ChannelServer == "":
	case strings.HasPrefix(source, "channel"):
		source += " at " + s.ChannelServer
	default:
		source += ", checked against " + s.ChannelServer
	}
	verdict := text.Plural(s.Hops, "hop")
	switch {
	case s.UpToDate:
		verdict = "up to date"
	case s.Blocked:
		verdict += ", blocked"
	}
	agents := ""
	if s.Agents != "each" {
		agents = ", agents " + s.Agents
	}
	return fmt.Sprintf("%s cluster, %s, target %s (%s)%s: %s", distroName(s.Distro), servers, s.Target, source, agents, verdict)
}

// NodesCell is the SERVERS or AGENTS cell of a hop: how many nodes it moves, or
// their names when wide; "-" when none.
func NodesCell(nodes []report.PlanNode, wide bool) string {
	if len(nodes) == 0 {
		return "-"
	}
	if !wide {
		return fmt.Sprint(len(nodes))
	}
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	return strings.Join(names, ",")
}

func blockingCell(h report.PlanHop) string {
	var ids []string
	add := func(id string) {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, f := range h.Blocking {
		add(f.ID)
	}
	for _, id := range h.BlockingHazards {
		add(id)
	}
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, ",")
}

// writeFindingRows prints findings as a table with each fix under its finding.
func writeFindingRows(w io.Writer, fs []policy.Finding) error {
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "SEVERITY\tID\tSUBJECT\tMESSAGE")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.ID, f.Subject, f.Message)
		fmt.Fprintf(tw, "\t\t\tfix: %s\n", f.Fix)
	}
	return tw.Flush()
}

// writeComponents lists, per hop, what it changes in the bundled components.
func writeComponents(buf *bytes.Buffer, r *report.PlanReport, wide bool) error {
	if len(r.Hops) == 0 {
		return nil
	}
	fmt.Fprintln(buf, "\nCOMPONENTS BY HOP (release data)")
	tw := printers.GetNewTabWriter(buf)
	fmt.Fprintln(tw, "HOP\tTO\tCHANGES")
	for _, h := range r.Hops {
		cell := h.ReleasesUnknown
		if cell == "" {
			only := keyComponents
			if wide {
				only = nil
			}
			cell = release.SummarizeChanges(h.Components, only...)
			if cell == "" {
				cell = "none of " + strings.Join(keyComponents, ", ")
				if wide {
					cell = "none"
				}
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\n", h.Hop, h.To, cell)
	}
	return tw.Flush()
}
