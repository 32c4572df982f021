package preflight

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// DrainFacts is what the drain check reads: every pod and PodDisruptionBudget (one
// paginated list each), and, only when a pod on a drained node claims one, the
// PersistentVolumes behind its claims.
type DrainFacts struct {
	Pods    []corev1.Pod
	PodsErr error
	PDBs    []policyv1.PodDisruptionBudget
	PDBsErr error
	// LocalVolumes are the claims ("namespace/name") bound to a node-local volume.
	LocalVolumes map[string]bool
	VolumesErr   error
}

// DrainedNodes are the nodes the path drains: the agents of every hop whose agent
// Plan drains.
func DrainedNodes(p *upgradepath.Path) map[string]bool {
	out := map[string]bool{}
	if p == nil {
		return out
	}
	for _, h := range p.Hops {
		if suc.Drains(h) {
			for _, a := range h.Agents {
				out[a.Name] = true
			}
		}
	}
	return out
}

func gatherDrain(ctx context.Context, kube kubernetes.Interface, drained map[string]bool) DrainFacts {
	var d DrainFacts
	if len(drained) == 0 {
		return d
	}
	d.Pods, d.PodsErr = cluster.ListAll(ctx, func(o metav1.ListOptions) ([]corev1.Pod, string, error) {
		l, err := kube.CoreV1().Pods("").List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	d.PDBs, d.PDBsErr = cluster.ListAll(ctx, func(o metav1.ListOptions) ([]policyv1.PodDisruptionBudget, string, error) {
		l, err := kube.PolicyV1().PodDisruptionBudgets("").List(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return l.Items, l.Continue, nil
	})
	claims := false
	for i := range d.Pods {
		if drained[d.Pods[i].Spec.NodeName] && len(claimsOf(&d.Pods[i])) > 0 {
			claims = true
		}
	}
	if claims {
		d.LocalVolumes, d.VolumesErr = localClaims(ctx, kube)
	}
	return d
}

// localClaims are the claims bound to volumes that live on one node: local volumes,
// host paths, and volumes whose node affinity names a hostname.
func localClaims(ctx context.Context, kube kubernetes.Interface) (map[string]bool, error) {
	pvs, err := kube.CoreV1().PersistentVolumes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, pv := range pvs.Items {
		if pv.Spec.ClaimRef != nil && nodeLocal(&pv) {
			out[pv.Spec.ClaimRef.Namespace+"/"+pv.Spec.ClaimRef.Name] = true
		}
	}
	return out, nil
}

func nodeLocal(pv *corev1.PersistentVolume) bool {
	if pv.Spec.Local != nil || pv.Spec.HostPath != nil {
		return true
	}
	if a := pv.Spec.NodeAffinity; a != nil && a.Required != nil {
		for _, t := range a.Required.NodeSelectorTerms {
			for _, e := range t.MatchExpressions {
				if e.Key == cluster.LabelHostname {
					return true
				}
			}
		}
	}
	return false
}

func claimsOf(p *corev1.Pod) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		if v.PersistentVolumeClaim != nil {
			out = append(out, p.Namespace+"/"+v.PersistentVolumeClaim.ClaimName)
		}
	}
	return out
}
