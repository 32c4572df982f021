package preflight

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/judge"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// checkSkew fails on skew errors now or at a hop's target, unless forced. An error
// of today about a node that the path's first hop upgrades (an agent brought back
// into skew by an agents-only hop), or about a server that already runs the first
// hop's version (a hop resumed half way), is what the upgrade fixes, not a reason to
// refuse.
func checkSkew(v verdicts, f *Facts, o Options) {
	now := policy.AtLeast(judge.Skew(f.Inventory, nil), policy.Error)
	first := map[string]bool{}
	if f.Path != nil && len(f.Path.Hops) > 0 {
		for _, n := range f.Path.Hops[0].Servers {
			first[n.Name] = true
		}
		for _, n := range f.Path.Hops[0].Agents {
			first[n.Name] = true
		}
		// A resumed hop: the servers already on its version show the skew of the ones
		// still behind (their control-plane and kube-proxy pods newer than the oldest
		// kube-apiserver), which finishing the hop fixes; the hop's target is still
		// judged below.
		if hop := f.Path.Hops[0]; len(hop.Servers) > 0 {
			for _, n := range f.Inventory.Servers() {
				if n.Kubelet != nil && n.Kubelet.Equal(hop.To) {
					first[n.Name] = true
				}
			}
		}
	}
	var fixed, stuck []policy.Finding
	for _, fd := range now {
		if _, node, ok := strings.Cut(fd.Subject, "/"); ok && first[node] {
			fixed = append(fixed, fd)
		} else {
			stuck = append(stuck, fd)
		}
	}
	var parts []string
	if len(stuck) > 0 {
		parts = append(parts, "now: "+findingList(stuck))
	}
	if f.Path != nil {
		for _, b := range f.Path.Blocking() {
			parts = append(parts, fmt.Sprintf("at hop %d (%s): %s", b.Hop.Number, b.Hop.To, findingList(b.Findings)))
		}
	}
	if len(parts) == 0 {
		msg := "no skew error now or at any hop's target"
		if len(fixed) > 0 {
			msg = fmt.Sprintf("errors today that hop 1 fixes by upgrading their nodes first: %s; none at any hop's target", findingList(fixed))
		}
		v.add(CheckSkew, Pass, msg, "")
		return
	}
	msg := "skew errors " + strings.Join(parts, "; ")
	if o.Force {
		v.add(CheckSkew, Warn, msg+"; going on because of --force", "")
		return
	}
	v.add(CheckSkew, Fail, msg, "fix them first (kubectl skew check and kubectl skew plan say how), or pass --force if you accept the risk")
}

func findingList(fs []policy.Finding) string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fs {
		s := f.ID + " " + f.Subject
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return text.Sample(out, 4)
}
