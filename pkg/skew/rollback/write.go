package rollback

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Scripts writes the runbook as shell scripts: one per node, and cluster.sh for the
// steps run with kubectl. A node's script runs one step at a time (its number is
// the argument), so the order across nodes stays the runbook's, and it first
// checks that the host is that node: the service of its role exists and the
// installed binary reports one of the step's versions. The map is file name to
// content; RUNBOOK.txt is the text runbook, as given.
func Scripts(r *report.RollbackRunbook, runbook string) map[string]string {
	d := install.SpecOf(version.Distro(r.Distro))
	byNode := map[string][]report.RollbackStep{}
	var order []string
	for _, st := range r.Steps {
		key := st.Node
		if key == "" {
			key = "cluster"
		}
		if _, ok := byNode[key]; !ok {
			order = append(order, key)
		}
		byNode[key] = append(byNode[key], st)
	}
	out := map[string]string{}
	for _, node := range order {
		out[fileName(node)+".sh"] = script(d, r, node, byNode[node])
	}
	out["RUNBOOK.txt"] = runbook + "\nScripts: run ./NODE.sh STEP on each node (./cluster.sh STEP where kubectl works), step by step in the order above.\n"
	return out
}

func script(d install.Spec, r *report.RollbackRunbook, node string, steps []report.RollbackStep) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#!/usr/bin/env bash\n# Rollback of %s to %s: the steps that run on %s. Written by kubectl skew rollback;\n# run each step when RUNBOOK.txt reaches it, and do its check before the next one.\nset -euo pipefail\n", r.Distro, r.From, comment(node))
	// The node's name reaches the messages below as a variable, never as shell text.
	fmt.Fprintf(&b, "node=%s\n", install.Quote(node))
	nums := make([]string, 0, len(steps))
	for _, st := range steps {
		nums = append(nums, strconv.Itoa(st.Number))
	}
	fmt.Fprintf(&b, "step=\"${1:?usage: $0 STEP, one of %s}\"\n", strings.Join(nums, " "))
	if node != "cluster" {
		unit := d.Unit(steps[0].Role == "server")
		fmt.Fprintf(&b, "[ \"$(id -u)\" = 0 ] || { echo \"run as root\" >&2; exit 1; }\n")
		fmt.Fprintf(&b, "export PATH=\"$PATH:/usr/local/bin:/opt/%s/bin\"\n", d.Bin)
		fmt.Fprintf(&b, "systemctl cat %s.service >/dev/null 2>&1 || { echo \"no %s.service on this host: this script is for %s $node\" >&2; exit 1; }\n", unit, unit, steps[0].Role)
		vs := steps[0].HostVersions
		sort.Strings(vs)
		fmt.Fprintf(&b, "have=\"$(%s --version 2>/dev/null | awk 'NR==1 {print $3}')\"\n", d.Bin)
		// The versions are the kubelet's to report: values, like the name.
		fmt.Fprintf(&b, "want=%s\n", install.Quote(strings.Join(vs, " or ")))
		fmt.Fprintf(&b, "case \"$have\" in\n  %s) ;;\n  *) echo \"%s reports '$have', not $want: is this $node?\" >&2; exit 1 ;;\nesac\n", strings.Join(quoteAll(vs), "|"), d.Bin)
	}
	b.WriteString("case \"$step\" in\n")
	for _, st := range steps {
		fmt.Fprintf(&b, "  %d)\n    # %s\n", st.Number, comment(st.Title))
		for _, c := range st.Commands {
			fmt.Fprintf(&b, "    %s\n", c)
		}
		fmt.Fprintf(&b, "    echo %s\n    ;;\n", install.Quote("step "+strconv.Itoa(st.Number)+" done; check: "+st.Check))
	}
	b.WriteString("  *) echo \"no step $step on $node\" >&2; exit 2 ;;\nesac\n")
	return b.String()
}

func quoteAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = install.Quote(s)
	}
	return out
}

// comment keeps a value from the cluster on its comment line: a line break in it
// would end the comment and make the rest a command.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// fileName is node as a file name: node names are DNS subdomains, but a name the
// cluster controls never becomes a path outside the output directory.
func fileName(node string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' {
			return r
		}
		return '_'
	}, node)
}
