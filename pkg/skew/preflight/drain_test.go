package preflight

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
)

// pod is a Ready pod of ns on node; owner is "Kind/name" ("" for none).
func pod(ns, name, node, owner string, labels map[string]string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}}
	p.Spec.NodeName = node
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	if kind, n, ok := strings.Cut(owner, "/"); ok {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: kind, Name: n, UID: types.UID(ns + "/" + owner), Controller: ptr.To(true)}}
	}
	return p
}

func pdb(ns, name string, match map[string]string, allowed int32) policyv1.PodDisruptionBudget {
	b := policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	b.Spec.Selector = &metav1.LabelSelector{MatchLabels: match}
	b.Status.ObservedGeneration, b.Status.DisruptionsAllowed = 1, allowed
	return b
}

func TestDrainProblems(t *testing.T) {
	web := map[string]string{"app": "web"}
	drained := map[string]bool{"a-1": true}
	d := suc.Drain{Timeout: 5 * time.Minute, GracePeriod: -1}
	withEmptyDir := pod("default", "cache-0", "a-1", "StatefulSet/cache", nil)
	withEmptyDir.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	withClaim := pod("db", "pg-0", "a-1", "StatefulSet/pg", nil)
	withClaim.Spec.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-pg-0"}}}}
	slow := pod("default", "slow", "a-1", "ReplicaSet/slow", nil)
	slow.Spec.TerminationGracePeriodSeconds = ptr.To[int64](600)
	mirror := pod("kube-system", "kube-proxy-a-1", "a-1", "", nil)
	mirror.Annotations = map[string]string{corev1.MirrorPodAnnotationKey: "x"}
	cases := []struct {
		name  string
		facts DrainFacts
		drain func(*suc.Drain)
		conc  int
		want  []string // "result kind pod-or-node"
	}{
		{"PDB allowing no disruption", DrainFacts{
			Pods: []corev1.Pod{pod("default", "web-1", "a-1", "ReplicaSet/web", web), pod("default", "web-2", "a-2", "ReplicaSet/web", web)},
			PDBs: []policyv1.PodDisruptionBudget{pdb("default", "web", web, 0)},
		}, nil, 1, []string{"fail pdb default/web-1"}},
		{"PDB with room", DrainFacts{
			Pods: []corev1.Pod{pod("default", "web-1", "a-1", "ReplicaSet/web", web), pod("default", "web-2", "a-2", "ReplicaSet/web", web)},
			PDBs: []policyv1.PodDisruptionBudget{pdb("default", "web", web, 1)},
		}, nil, 1, nil},
		{"PDB in another namespace", DrainFacts{
			Pods: []corev1.Pod{pod("default", "web-1", "a-1", "ReplicaSet/web", web), pod("default", "web-2", "a-2", "ReplicaSet/web", web)},
			PDBs: []policyv1.PodDisruptionBudget{pdb("other", "web", web, 0)},
		}, nil, 1, nil},
		{"PDB bypassed by --drain-disable-eviction", DrainFacts{
			Pods: []corev1.Pod{pod("default", "web-1", "a-1", "ReplicaSet/web", web), pod("default", "web-2", "a-2", "ReplicaSet/web", web)},
			PDBs: []policyv1.PodDisruptionBudget{pdb("default", "web", web, 0)},
		}, func(d *suc.Drain) { d.DisableEviction = true }, 1, []string{"warn pdb default/web-1"}},
		{"pod selector leaves the pod alone", DrainFacts{
			Pods: []corev1.Pod{pod("default", "web-1", "a-1", "ReplicaSet/web", web), pod("default", "web-2", "a-2", "ReplicaSet/web", web)},
			PDBs: []policyv1.PodDisruptionBudget{pdb("default", "web", web, 0)},
		}, func(d *suc.Drain) { d.PodSelector = "app!=web" }, 1, nil},
		{"no controller", DrainFacts{Pods: []corev1.Pod{pod("default", "lonely", "a-1", "", nil)}}, nil, 1,
			[]string{"fail unmanaged default/lonely"}},
		{"no controller, forced", DrainFacts{Pods: []corev1.Pod{pod("default", "lonely", "a-1", "", nil)}}, func(d *suc.Drain) { d.Force = true }, 1,
			[]string{"warn unmanaged default/lonely"}},
		{"DaemonSet pods, mirror pods and finished pods are not drained", DrainFacts{Pods: []corev1.Pod{
			pod("kube-system", "agent-x", "a-1", "DaemonSet/agent", nil), mirror,
			func() corev1.Pod {
				p := pod("default", "done", "a-1", "", nil)
				p.Status.Phase = corev1.PodSucceeded
				return p
			}(),
		}}, nil, 1, nil},
		{"emptyDir data is lost", DrainFacts{Pods: []corev1.Pod{withEmptyDir, pod("default", "cache-1", "a-2", "StatefulSet/cache", nil)}}, nil, 1,
			[]string{"pass emptydir default/cache-0"}},
		{"node-local volume", DrainFacts{Pods: []corev1.Pod{withClaim, pod("db", "pg-1", "a-2", "StatefulSet/pg", nil)},
			LocalVolumes: map[string]bool{"db/data-pg-0": true}}, nil, 1, []string{"warn local-volume db/pg-0"}},
		{"every ready replica on one drained node", DrainFacts{Pods: []corev1.Pod{
			pod("default", "api-1", "a-1", "ReplicaSet/api", nil), pod("default", "api-2", "a-1", "ReplicaSet/api", nil)}}, nil, 1,
			[]string{"warn outage a-1"}},
		{"replicas on two drained nodes, one at a time", DrainFacts{Pods: []corev1.Pod{
			pod("default", "api-1", "a-1", "ReplicaSet/api", nil), pod("default", "api-2", "a-3", "ReplicaSet/api", nil)}}, nil, 1, nil},
		{"replicas on two drained nodes, two at a time", DrainFacts{Pods: []corev1.Pod{
			pod("default", "api-1", "a-1", "ReplicaSet/api", nil), pod("default", "api-2", "a-3", "ReplicaSet/api", nil)}}, nil, 2,
			[]string{"warn outage a-1,a-3"}},
		{"grace period longer than the drain timeout", DrainFacts{Pods: []corev1.Pod{slow, pod("default", "slow-2", "a-2", "ReplicaSet/slow", nil)}}, nil, 1,
			[]string{"warn grace-period default/slow"}},
		{"--drain-grace-period overrides the pod's", DrainFacts{Pods: []corev1.Pod{slow, pod("default", "slow-2", "a-2", "ReplicaSet/slow", nil)}},
			func(d *suc.Drain) { d.GracePeriod = 30 }, 1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dr := d
			if tc.drain != nil {
				tc.drain(&dr)
			}
			got := []string{}
			nodes := map[string]bool{"a-1": true}
			if tc.conc == 2 {
				nodes["a-3"] = true
			}
			for k := range drained {
				nodes[k] = true
			}
			for _, p := range DrainProblems(tc.facts, nodes, dr, tc.conc) {
				what := p.Pod
				if p.Kind == DrainOutage {
					what = p.Node
				}
				got = append(got, string(p.Result)+" "+string(p.Kind)+" "+what)
			}
			if strings.Join(got, "; ") != strings.Join(tc.want, "; ") {
				t.Errorf("problems = %v, want %v", got, tc.want)
			}
		})
	}
}
