package preflight

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Node labels by which Rancher marks the clusters whose upgrades it runs.
const (
	labelRancherMachine = "rke.cattle.io/machine"
	labelRancherUpgrade = "upgrade.cattle.io/kubernetes-upgrade"
)

func checkRancher(v verdicts, f *Facts, o Options) {
	var why []string
	if n := firstWithLabel(f.Nodes, labelRancherMachine); n != "" {
		why = append(why, fmt.Sprintf("node %s has label %s (provisioned by Rancher)", n, labelRancherMachine))
	}
	if n := firstWithLabel(f.Nodes, labelRancherUpgrade); n != "" {
		why = append(why, fmt.Sprintf("node %s has label %s (Rancher upgrades it)", n, labelRancherUpgrade))
	}
	if f.RancherAgent {
		why = append(why, fmt.Sprintf("deployment %s/%s runs", rancherNamespace, rancherAgent))
	}
	if len(f.RancherPlans) > 0 {
		why = append(why, fmt.Sprintf("Plans in %s: %s", rancherNamespace, strings.Join(f.RancherPlans, ", ")))
	}
	if len(why) == 0 {
		v.add(CheckRancher, Pass, "no sign of Rancher managing this cluster", "")
		return
	}
	msg := "Rancher manages this cluster: " + strings.Join(why, "; ")
	if o.AllowRancher {
		v.add(CheckRancher, Warn, msg+"; going on because of --allow-rancher", "make sure Rancher will not upgrade the cluster at the same time")
		return
	}
	v.add(CheckRancher, Fail, msg+"; our Plans would fight Rancher's",
		"upgrade through Rancher: kubectl skew upgrade --rancher-cluster NAME against Rancher's management cluster (one minor per hop, for provisioned and imported clusters); --allow-rancher overrides when Rancher does not manage this cluster's version")
}

func firstWithLabel(nodes []corev1.Node, key string) string {
	for i := range nodes {
		if _, ok := nodes[i].Labels[key]; ok {
			return nodes[i].Name
		}
	}
	return ""
}
