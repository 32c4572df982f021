package cluster_test

import (
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/test/scenarios"
)

// TestSlimKeepsWhatBuildReads builds every scenario twice, from the objects and from
// their slim copies: the inventories must agree but for the heartbeats slimming drops.
func TestSlimKeepsWhatBuildReads(t *testing.T) {
	for _, name := range scenarios.Names() {
		t.Run(name, func(t *testing.T) {
			s, err := scenarios.Load(name)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := s.Expand(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			full := cluster.Objects{Nodes: obj.Nodes, Pods: obj.Pods, ServerVersion: "v1.30.0"}
			slim := cluster.Objects{ServerVersion: "v1.30.0", Pods: []corev1.Pod{}}
			for i := range obj.Nodes {
				slim.Nodes = append(slim.Nodes, *cluster.SlimNode(&obj.Nodes[i]))
			}
			for i := range obj.Pods {
				slim.Pods = append(slim.Pods, *cluster.SlimPod(&obj.Pods[i]))
			}
			if full.Pods == nil {
				full.Pods = []corev1.Pod{}
			}
			want, got := cluster.Build(full), cluster.Build(slim)
			for i := range want.Nodes {
				want.Nodes[i].Heartbeat = time.Time{}
			}
			if !reflect.DeepEqual(want, got) {
				t.Errorf("Build(slim) differs from Build:\nwant %+v\ngot  %+v", want, got)
			}
		})
	}
}

func TestSlimNodeDropsHeartbeatsAndImages(t *testing.T) {
	n := corev1.Node{Status: corev1.NodeStatus{
		Images:     []corev1.ContainerImage{{Names: []string{"a"}}},
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure}, {Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
	}}
	n.Status.Conditions[1].LastHeartbeatTime.Time = time.Now()
	s := cluster.SlimNode(&n)
	if len(s.Status.Images) != 0 || len(s.Status.Conditions) != 1 || !s.Status.Conditions[0].LastHeartbeatTime.IsZero() || !cluster.Ready(s) {
		t.Errorf("slim node kept too much or too little: %+v", s.Status)
	}
}
