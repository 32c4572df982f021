package upgrade

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/testworld"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func bigCluster(b *testing.B) []string {
	b.Helper()
	return testworld.Join(testworld.Uniform("server", "s", 3, "v1.30.14+k3s1"), testworld.Uniform("agent", "a", 4997, "v1.30.14+k3s1"))
}

// BenchmarkPlans5000 plans the path of a 5,000-node cluster and builds and
// converts the Plans of its first hop: what upgrade does before it asks.
func BenchmarkPlans5000(b *testing.B) {
	inv := testworld.Inventory(b, bigCluster(b)...)
	list := testworld.Channels(b, "k3s")
	cfg := suc.DefaultPlanConfig()
	b.ReportAllocs()
	for b.Loop() {
		p, err := upgradepath.Find(upgradepath.Request{Inventory: inv, Channel: "stable", Channels: list})
		if err != nil {
			b.Fatal(err)
		}
		st, err := nextStep(inv, p, nil, cfg, suc.Record{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		agent := suc.AgentPlan(p.Distro, st.Hop, st.ServerPlan, st.Record, cfg)
		if _, err := suc.PlanList(append(st.Plans, agent)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFollowEvaluate5000 is one look at the caches while 4,997 agents upgrade:
// the cost of every watch event the follower wakes up for.
func BenchmarkFollowEvaluate5000(b *testing.B) {
	to := version.MustParse("v1.31.13+k3s1")
	from := version.MustParse("v1.30.14+k3s1")
	w := &watchSet{
		namespace: suc.DefaultNamespace,
		View:      &View{nodes: cache.NewSharedIndexInformer(&cache.ListWatch{}, &corev1.Node{}, 0, cache.Indexers{}), sig: newSignal()},
		jobs:      cache.NewSharedIndexInformer(&cache.ListWatch{}, &batchv1.Job{}, 0, cache.Indexers{}),
		plans:     cache.NewSharedIndexInformer(&cache.ListWatch{}, &unstructured.Unstructured{}, 0, cache.Indexers{}),
	}
	var steps []upgradepath.NodeStep
	plan := suc.PlanName(suc.RoleAgent, to)
	for i := 1; i <= 4997; i++ {
		name := fmt.Sprintf("a-%d", i)
		v := from.String()
		if i <= 2500 {
			v = to.String() // half done
		}
		n := nodeObj(name, v, false)
		if i <= 2500 {
			n.Labels[suc.NodePlanLabelPrefix+plan] = "hash"
		}
		_ = w.nodes.GetStore().Add(&n)
		steps = append(steps, upgradepath.NodeStep{Name: name, Hostname: name, From: from})
	}
	for i := 2400; i <= 2600; i++ { // the Jobs SUC keeps around
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("apply-%d", i), Namespace: suc.DefaultNamespace,
			Labels: map[string]string{suc.LabelJobPlan: plan, suc.LabelJobNode: fmt.Sprintf("a-%d", i), suc.LabelJobVersion: to.ImageTag()}}}
		_ = w.jobs.GetStore().Add(j)
	}
	u := &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": plan, "namespace": suc.DefaultNamespace},
		"status": map[string]any{"latestVersion": to.ImageTag(), "latestHash": "hash", "applying": []any{"a-2501"}}}}
	_ = w.plans.GetStore().Add(u)
	f := &follower{w: w, spec: phaseSpec{Plan: plan, To: to, Nodes: steps, StallAfter: time.Minute}, emit: func(NodeEvent) {},
		state: map[string]*nodeProgress{}, munged: to.ImageTag()}
	now := time.Now()
	if _, err := f.evaluate(now); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.evaluate(now); err != nil {
			b.Fatal(err)
		}
	}
}
