package upgrade

import (
	"strings"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
)

func nodeObj(name, v string, server bool) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{cluster.LabelHostname: name}}}
	if server {
		n.Labels[cluster.LabelControlPlane], n.Labels[cluster.LabelEtcd] = "true", "true"
	}
	n.Status.NodeInfo.KubeletVersion = v
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

func planNames(plans []*upgradev1.Plan) string {
	n := make([]string, len(plans))
	for i, p := range plans {
		n[i] = p.Name
	}
	return strings.Join(n, ", ")
}
