package suc

import (
	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

// Selects lists the nodes a Plan would upgrade, as the controller picks them: a
// missing selector selects nothing, a node needs the hostname label, and a node
// labelled plan.upgrade.cattle.io/<plan>=disabled is opted out. When only is not
// nil, nodes outside it are left out.
func Selects(p *upgradev1.Plan, nodes []corev1.Node, only map[string]bool) []string {
	if p.Spec.NodeSelector == nil {
		return nil
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.NodeSelector)
	if err != nil {
		return nil
	}
	var out []string
	for i := range nodes {
		n := &nodes[i]
		if only != nil && !only[n.Name] {
			continue
		}
		if _, ok := n.Labels[cluster.LabelHostname]; !ok {
			continue
		}
		if n.Labels[NodePlanLabelPrefix+p.Name] == "disabled" {
			continue
		}
		if sel.Matches(labels.Set(n.Labels)) {
			out = append(out, n.Name)
		}
	}
	return out
}
