package suc

import (
	"strings"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
)

// A Plan's Jobs are shaped by the Plan: the controller builds each Job's pod template
// from the Plan's labels and annotations (all but those whose key contains
// "cattle.io/" or "kubectl.kubernetes.io/"), its service account, priority class,
// tolerations, image pull secrets, secrets, exclusive flag and its prepare, cordon or
// drain and upgrade containers. Whenever the template it would build differs from
// that of a Job that exists, its apply deletes the Job and creates it again
// (wrangler's Job reconciler): on a node in flight the upgrade starts over, even
// while the node restarts from the first one. The selector, concurrency, window and
// version are not part of the template (a new version is a new Plan of ours anyway).
// So once a Plan exists, what shapes its Jobs stays as it was created; docs/upgrade.md
// says how to change it (abort, then run the upgrade again).

// copiedToJobs reports whether the controller copies a Plan label or annotation key
// onto its Jobs' pods.
func copiedToJobs(key string) bool {
	return !strings.Contains(key, "cattle.io/") && !strings.Contains(key, "kubectl.kubernetes.io/")
}

// asked are the record annotations that an operator's flag sets, named as the note
// names them; the rest of the record is worked out, not asked for.
var asked = map[string]string{AnnotationAcceptedHazards: "accepted hazards (--accept-hazard)"}

// KeepJobShape sets everything of want that shapes its Jobs to what got, the same
// Plan as it exists, has, and names the settings an operator asked for (by flag)
// that got keeps. Only keys of ours are carried over: someone else's label or
// annotation on got is left to its owner.
func KeepJobShape(want, got *upgradev1.Plan) []string {
	var kept []string
	want.Labels = keepOurs(want.Labels, got.Labels, nil)
	want.Annotations = keepOurs(want.Annotations, got.Annotations, func(key string) {
		if flag, ok := asked[key]; ok {
			kept = append(kept, flag)
		}
	})
	w, g := &want.Spec, &got.Spec
	// name is the setting as a note names it: a flag's; "" for what a run works
	// out rather than asks for, kept without a word.
	for _, f := range []struct {
		name string
		same bool
		keep func()
	}{
		{"service account (--service-account)", w.ServiceAccountName == g.ServiceAccountName, func() { w.ServiceAccountName = g.ServiceAccountName }},
		{"", w.PriorityClassName == g.PriorityClassName, func() { w.PriorityClassName = g.PriorityClassName }},
		{"", apiequality.Semantic.DeepEqual(w.Tolerations, g.Tolerations), func() { w.Tolerations = g.Tolerations }},
		{"image pull secrets (--image-pull-secret)", apiequality.Semantic.DeepEqual(w.ImagePullSecrets, g.ImagePullSecrets), func() { w.ImagePullSecrets = g.ImagePullSecrets }},
		{"", apiequality.Semantic.DeepEqual(w.Secrets, g.Secrets), func() { w.Secrets = g.Secrets }},
		{"", w.Exclusive == g.Exclusive, func() { w.Exclusive = g.Exclusive }},
		{"", apiequality.Semantic.DeepEqual(w.Prepare, g.Prepare), func() { w.Prepare = g.Prepare }},
		{"", w.Cordon == g.Cordon, func() { w.Cordon = g.Cordon }},
		{"drain settings (--drain, --drain-*)", apiequality.Semantic.DeepEqual(w.Drain, g.Drain), func() { w.Drain = g.Drain }},
		{"upgrade image (--upgrade-image)", apiequality.Semantic.DeepEqual(w.Upgrade, g.Upgrade), func() { w.Upgrade = g.Upgrade }},
	} {
		if f.same {
			continue
		}
		f.keep()
		if f.name != "" {
			kept = append(kept, f.name)
		}
	}
	return kept
}

// keepOurs is want's map with every key the controller copies to Jobs set as got
// has it: want's keys, and got's keys of ours (kubectl-skew.io/) that want lacks.
// changed is told each key that differed.
func keepOurs(want, got map[string]string, changed func(key string)) map[string]string {
	out := make(map[string]string, len(want))
	for k, v := range want {
		out[k] = v
	}
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok && strings.HasPrefix(k, ourPrefix) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		if !copiedToJobs(k) {
			continue
		}
		gv, had := got[k]
		if wv, has := out[k]; has == had && wv == gv {
			continue
		}
		if changed != nil {
			changed(k)
		}
		if had {
			out[k] = gv
		} else {
			delete(out, k)
		}
	}
	return out
}

// ourPrefix starts every label and annotation key of ours but the managed-by label.
const ourPrefix = "kubectl-skew.io/"
