package table

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"k8s.io/cli-runtime/pkg/printers"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// WriteCheck draws a check report: the summary line, the nodes by role, the control
// plane and the findings. Wide adds each node's OS, runtime and kube-proxy source,
// the control plane table even where it only repeats the kubelets, and each finding's rule.
func WriteCheck(w io.Writer, r *report.CheckReport, opts Options) error {
	var buf bytes.Buffer
	writeCheck(&buf, r, opts.Wide)
	return flush(w, buf.Bytes(), opts.Color)
}

func writeCheck(w io.Writer, r *report.CheckReport, wide bool) {
	fmt.Fprintln(w, summaryLine(r))
	inv := r.Cluster
	groups := []struct {
		title string
		keep  func(cluster.Role) bool
	}{
		{"SERVERS", func(r cluster.Role) bool { return r.IsServer() }},
		{"AGENTS", func(r cluster.Role) bool { return !r.IsServer() }},
	}
	if len(inv.Nodes) == 0 {
		fmt.Fprintln(w, "\nNODES: none")
	}
	for _, g := range groups {
		var nodes []cluster.Node
		for _, n := range inv.Nodes {
			if g.keep(n.Role) {
				nodes = append(nodes, n)
			}
		}
		if len(nodes) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (%d)\n", g.title, len(nodes))
		tw := printers.GetNewTabWriter(w)
		header := "NAME\tROLE\tKUBELET\tKUBE-PROXY\tSTATUS"
		if wide {
			header += "\tOS/ARCH\tRUNTIME\tKUBE-PROXY-SOURCE"
		}
		fmt.Fprintln(tw, header)
		for _, n := range nodes {
			row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", n.Name, n.Role, text.OrDash(n.KubeletVersion), kubeProxyCell(n), nodeStatus(n))
			if wide {
				row += fmt.Sprintf("\t%s\t%s\t%s", text.OrDash(joinNonEmpty("/", n.OS, n.Arch)), text.OrDash(n.ContainerRuntime), text.OrDash(n.KubeProxySource))
			}
			fmt.Fprintln(tw, row)
		}
		tw.Flush()
	}
	writeControlPlane(w, inv, wide)
	if a := r.APIs; a != nil {
		fmt.Fprintf(w, "\nREMOVED APIS: scanned %s, for the hops from %s%s\n", a.Scanned, a.From, hopList(a.Hops))
	}
	writeFindings(w, r.Findings, wide)
}

func summaryLine(r *report.CheckReport) string {
	s := r.Summary
	parts := []string{distroName(s.Distro) + " cluster"}
	switch {
	case s.ControlPlane == "":
		parts = append(parts, "control plane unknown")
	case s.OldestControlPlane != "":
		parts = append(parts, fmt.Sprintf("control plane %s to %s", s.OldestControlPlane, s.ControlPlane))
	default:
		parts = append(parts, "control plane "+s.ControlPlane)
	}
	parts = append(parts, fmt.Sprintf("%s (%d %s, %d %s)", text.Plural(s.Nodes, "node"), s.Servers, text.PluralWord(s.Servers, "server"), s.Agents, text.PluralWord(s.Agents, "agent")))
	if s.LowestKubelet != "" {
		if s.LowestKubelet == s.HighestKubelet {
			parts = append(parts, "kubelets "+s.LowestKubelet)
		} else {
			parts = append(parts, fmt.Sprintf("kubelets %s to %s", s.LowestKubelet, s.HighestKubelet))
		}
	}
	if s.Target != "" {
		parts = append(parts, "target "+s.Target)
	}
	verdict := "no findings"
	if n := s.Errors + s.Warnings + s.Infos; n > 0 {
		verdict = fmt.Sprintf("%s, %s, %s", text.Plural(s.Errors, "error"), text.Plural(s.Warnings, "warning"), text.Plural(s.Infos, "info"))
	}
	return strings.Join(parts, ", ") + ": " + verdict
}

func writeControlPlane(w io.Writer, inv *cluster.Inventory, wide bool) {
	if len(inv.ControlPlane) == 0 {
		return
	}
	// On K3s (and RKE2 read from kubelets) every component is the server's own kubelet
	// version, already shown above; say so in one line instead of repeating a table.
	embedded := true
	for _, in := range inv.ControlPlane {
		for _, c := range in.Components {
			if c.Source != cluster.SourceKubelet {
				embedded = false
			}
		}
	}
	if embedded && !wide {
		fmt.Fprintf(w, "\nCONTROL PLANE: embedded in the servers (%d), versions as their kubelets\n", len(inv.ControlPlane))
		return
	}
	fmt.Fprintf(w, "\nCONTROL PLANE (%d)\n", len(inv.ControlPlane))
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "NODE\tKUBE-APISERVER\tKUBE-CONTROLLER-MANAGER\tKUBE-SCHEDULER\tCLOUD-CONTROLLER-MANAGER\tSOURCE")
	for _, in := range inv.ControlPlane {
		cells := []string{text.OrDash(in.Node)}
		sources := map[string]bool{}
		var src []string
		for _, c := range cluster.Components {
			cv, ok := in.Components[c]
			cells = append(cells, text.OrDash(cv.Version))
			if ok && !sources[sourceKind(cv.Source)] {
				sources[sourceKind(cv.Source)] = true
				src = append(src, sourceKind(cv.Source))
			}
		}
		cells = append(cells, strings.Join(src, ","))
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// sourceKind shortens "pod/kube-apiserver-cp-1" to "static pod" for the table.
func sourceKind(s string) string {
	if strings.HasPrefix(s, "pod/") {
		return "static pod"
	}
	return s
}

func writeFindings(w io.Writer, fs []policy.Finding, wide bool) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "\nFINDINGS: none, the cluster is within the version skew policy")
		return
	}
	fmt.Fprintf(w, "\nFINDINGS (%d)\n", len(fs))
	tw := printers.GetNewTabWriter(w)
	fmt.Fprintln(tw, "SEVERITY\tID\tSUBJECT\tMESSAGE")
	for _, f := range fs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.ID, f.Subject, f.Message)
		if wide {
			fmt.Fprintf(tw, "\t\t\trule: %s\n", f.Rule)
		}
		fmt.Fprintf(tw, "\t\t\tfix: %s\n", f.Fix)
	}
	tw.Flush()
}

func kubeProxyCell(n cluster.Node) string {
	if n.KubeProxySource == cluster.SourceEmbedded {
		return "embedded"
	}
	return text.OrDash(n.KubeProxyVersion)
}

func nodeStatus(n cluster.Node) string {
	s := "NotReady"
	if n.Ready {
		s = "Ready"
	}
	if n.Cordoned {
		s += ",SchedulingDisabled"
	}
	return s
}

func hopList(hops []string) string {
	if len(hops) == 0 {
		return " (none: the cluster as it is)"
	}
	return " to " + strings.Join(hops, ", ")
}

// joinNonEmpty joins the parts that are not empty.
func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
