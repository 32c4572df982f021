package ranchersim

import (
	"context"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// setStatus merges fields into the RKEControlPlane's status.
func (s *Simulator) setStatus(ctx context.Context, cp *unstructured.Unstructured, fields map[string]any) {
	st, _, _ := unstructured.NestedMap(cp.Object, "status")
	if st == nil {
		st = map[string]any{}
	}
	for k, v := range fields {
		st[k] = v
	}
	cp.Object["status"] = st
	if updated, err := s.dyn.Resource(rancher.ControlPlaneResource).Namespace(cp.GetNamespace()).UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err == nil {
		cp.Object = updated.Object
	}
}

// setReady sets the control plane's Ready, Stable and Reconciled, and the Cluster's
// Ready and Updated, which mirror it.
func (s *Simulator) setReady(ctx context.Context, w *world, status, reason, message string) {
	s.setStatus(ctx, w.cp, map[string]any{"conditions": conds(status, reason, message, "Ready", "Stable", "Reconciled")})
	cst, _, _ := unstructured.NestedMap(w.cl.Object, "status")
	if cst == nil {
		cst = map[string]any{}
	}
	cst["conditions"] = conds(status, reason, message, "Ready", "Updated", "Provisioned")
	w.cl.Object["status"] = cst
	_, _ = s.dyn.Resource(rancher.ClusterResource).Namespace(w.cl.GetNamespace()).UpdateStatus(ctx, w.cl, metav1.UpdateOptions{})
}

func str(o map[string]any, path ...string) string {
	v, _, _ := unstructured.NestedString(o, path...)
	return v
}

// num reads an integer; the dynamic client decodes JSON integers as int64.
func num(o map[string]any, path ...string) int64 {
	v, _, _ := unstructured.NestedInt64(o, path...)
	return v
}
