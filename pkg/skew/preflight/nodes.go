package preflight

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

func checkNodes(v verdicts, f *Facts, o Options) {
	targets := pathNodes(f.Path)
	var noHostname, renamed, notReady, cordoned []string
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if targets != nil && !targets[n.Name] {
			continue
		}
		if h, ok := n.Labels[cluster.LabelHostname]; !ok {
			noHostname = append(noHostname, n.Name)
		} else if h != n.Name {
			renamed = append(renamed, fmt.Sprintf("%s (hostname %s)", n.Name, h))
		}
		if !cluster.Ready(n) {
			notReady = append(notReady, n.Name)
		}
		if n.Spec.Unschedulable {
			cordoned = append(cordoned, n.Name)
		}
	}
	if o.Driver != "" {
		// The hostname label matters to the controller's node selection only: the
		// operator's own tool reaches each node by its name and addresses.
		noHostname, renamed = nil, nil
	}
	if len(noHostname) > 0 {
		v.add(CheckNodes, Fail, fmt.Sprintf("%s lack the label %s, which the system-upgrade-controller selects nodes by: %s",
			text.Plural(len(noHostname), "node"), cluster.LabelHostname, text.Sample(noHostname, 5)), "label them with their hostname (kubectl label node <node> kubernetes.io/hostname=<hostname>)")
		return
	}
	if len(renamed) > 0 {
		// SUC (v0.20.1 and before) lists hostnames in status.applying but looks a Job's
		// node name up there: a Job of a node named otherwise is deleted as "out of
		// turn" as soon as it is created, and the Plan never moves.
		v.add(CheckNodes, Fail, fmt.Sprintf("%s a name that differs from the kubernetes.io/hostname label: %s; the system-upgrade-controller deletes their upgrade Jobs as soon as it creates them (it looks the node name up among the hostnames in status.applying), so the upgrade would hang",
			text.PluralVerb(len(renamed), "node has", "nodes have"), text.Sample(renamed, 3)),
			"upgrade these nodes by hand (the K3s/RKE2 install script with INSTALL_K3S_VERSION or INSTALL_RKE2_VERSION), one minor at a time, servers first")
		return
	}
	var warns []string
	if len(notReady) > 0 {
		warns = append(warns, fmt.Sprintf("NotReady: %s (an upgrade Job cannot run there; the Plan would hang)", text.Sample(notReady, 5)))
	}
	if len(cordoned) > 0 {
		warns = append(warns, fmt.Sprintf("cordoned: %s (the controller uncordons a node when its upgrade succeeds)", text.Sample(cordoned, 5)))
	}
	if len(warns) > 0 {
		v.add(CheckNodes, Warn, strings.Join(warns, "; "), "bring NotReady nodes back or remove them; uncordon nodes that are cordoned by mistake")
		return
	}
	v.add(CheckNodes, Pass, "every node to upgrade is Ready and schedulable", "")
}
