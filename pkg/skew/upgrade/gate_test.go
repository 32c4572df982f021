package upgrade

import (
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// staticPod is an RKE2 control-plane mirror pod of component c on node at image tag v.
func staticPod(c cluster.Component, node, v string, ready corev1.ConditionStatus) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: string(c) + "-" + node, Namespace: "kube-system",
		Labels: map[string]string{"component": string(c), "tier": "control-plane"}}}
	p.Spec.NodeName = node
	p.Spec.Containers = []corev1.Container{{Name: string(c), Image: "index.docker.io/rancher/hardened-kubernetes:" + v}}
	if ready != "" {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}
	}
	return p
}

func TestServerBack(t *testing.T) {
	to := version.MustParse("v1.31.13+rke2r1")
	jobEnd := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	allPods := func(node, v string, ready corev1.ConditionStatus) []corev1.Pod {
		var out []corev1.Pod
		for _, c := range staticPodComponents {
			out = append(out, staticPod(c, node, v, ready))
		}
		return out
	}
	cases := []struct {
		name      string
		kubelet   string
		ready     bool
		heartbeat time.Time
		pods      []corev1.Pod
		role      string
		want      string // a piece of the answer; "" means back
		lease     time.Time
	}{
		{"back", "v1.31.13+rke2r1", true, jobEnd.Add(5 * time.Second), allPods("s-1", "v1.31.13-rke2r1", "True"), "server", "", time.Time{}},
		{"kubelet not yet", "v1.30.14+rke2r2", true, jobEnd.Add(5 * time.Second), allPods("s-1", "v1.30.14-rke2r2", "True"), "server", "kubelet reports v1.30.14+rke2r2", time.Time{}},
		{"restarting: NotReady", "v1.31.13+rke2r1", false, jobEnd.Add(5 * time.Second), allPods("s-1", "v1.31.13-rke2r1", "True"), "server", "not Ready", time.Time{}},
		{"old heartbeat", "v1.31.13+rke2r1", true, jobEnd.Add(-time.Second), allPods("s-1", "v1.31.13-rke2r1", "True"), "server", "no heartbeat since", time.Time{}},
		{"static pods lag their kubelet", "v1.31.13+rke2r1", true, jobEnd.Add(5 * time.Second), allPods("s-1", "v1.30.14-rke2r2", "True"), "server", "kube-apiserver runs v1.30.14+rke2r2", time.Time{}},
		{"static pod not Ready", "v1.31.13+rke2r1", true, jobEnd.Add(5 * time.Second), allPods("s-1", "v1.31.13-rke2r1", "False"), "server", "is not Ready", time.Time{}},
		{"no scheduler pod", "v1.31.13+rke2r1", true, jobEnd.Add(5 * time.Second), allPods("s-1", "v1.31.13-rke2r1", "True")[:2], "server", "no kube-scheduler pod", time.Time{}},
		{"etcd-only server needs no pods", "v1.31.13+rke2r1", true, jobEnd.Add(5 * time.Second), nil, "etcd", "", time.Time{}},
		{"old Ready heartbeat, renewed Lease", "v1.31.13+rke2r1", true, jobEnd.Add(-time.Second), allPods("s-1", "v1.31.13-rke2r1", "True"), "server", "", jobEnd.Add(3 * time.Second)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := testworld.Nodes(t, tc.role+" s-1 "+tc.kubelet)
			nodes[0].Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: map[bool]corev1.ConditionStatus{true: "True", false: "False"}[tc.ready],
				LastHeartbeatTime: metav1.NewTime(tc.heartbeat)}}
			inv := cluster.Build(cluster.Objects{Nodes: nodes, Pods: append([]corev1.Pod{}, tc.pods...)})
			got := ServerBack(inv, "s-1", to, jobEnd, tc.lease)
			if (tc.want == "") != (got == "") || !contains(got, tc.want) {
				t.Errorf("serverBack = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestAgentsWaitForTheControlPlane: the agents of a hop are released only when the
// control plane runs the hop's version by check's definition: static pods on RKE2,
// never the kubelets alone.
func TestAgentsWaitForTheControlPlane(t *testing.T) {
	nodes := testworld.Nodes(t, "server s-1 v1.31.13+rke2r1", "agent a-1 v1.30.14+rke2r2")
	nodes[0].Status.Conditions[0].LastHeartbeatTime = metav1.Now()
	lagging := cluster.Build(cluster.Objects{Nodes: nodes, Pods: []corev1.Pod{
		staticPod(cluster.APIServer, "s-1", "v1.30.14-rke2r2", "True"),
		staticPod(cluster.ControllerManager, "s-1", "v1.31.13-rke2r1", "True"),
		staticPod(cluster.Scheduler, "s-1", "v1.31.13-rke2r1", "True"),
	}})
	if got := ControlPlaneAt(lagging, version.MustParse("v1.31.13+rke2r1")); !contains(got, "kube-apiserver runs v1.30.14+rke2r2") {
		t.Errorf("controlPlaneAt = %q: the kube-apiserver pod still runs v1.30", got)
	}
	p, err := upgradepath.Find(upgradepath.Request{Inventory: lagging, Version: testworld.Target(t, "v1.31.13+rke2r1")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := nextStep(lagging, p, nil, suc.DefaultPlanConfig(), suc.Record{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Waiting[WaitingControlPlane] == "" {
		t.Errorf("the agents' step does not wait for the control plane: %+v", st)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
