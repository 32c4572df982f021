package upgrade

import (
	"context"
	"errors"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// TestViewReadsAndWakes: the View answers what ReadCluster answers from its caches,
// wakes its waiters on a change of a node, and on a server's Lease but not an agent's.
func TestViewReadsAndWakes(t *testing.T) {
	s, a := nodeObj("s-1", "v1.30.14+k3s1", true), nodeObj("a-1", "v1.30.14+k3s1", false)
	lease := func(name string) *coordinationv1.Lease {
		now := metav1.NewMicroTime(time.Now())
		return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease}, Spec: coordinationv1.LeaseSpec{RenewTime: &now}}
	}
	kube := fake.NewSimpleClientset(&s, &a, lease("s-1"), lease("a-1"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := StartView(ctx, kube, []string{"s-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Stop()

	want, err := ReadCluster(ctx, kube)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := v.Read(ctx)
	if len(got.Inventory.Nodes) != len(want.Inventory.Nodes) || got.Inventory.Nodes[0].Name != want.Inventory.Nodes[0].Name || got.Inventory.Distro != want.Inventory.Distro {
		t.Fatalf("View.Read = %+v, ReadCluster = %+v", got.Inventory.Nodes, want.Inventory.Nodes)
	}
	if l := v.Leases(got.Inventory); l["s-1"].IsZero() || len(l) != 1 {
		t.Errorf("Leases = %v, want the server's only", l)
	}

	woken := func(change func()) bool {
		ch := v.Changed()
		change()
		select {
		case <-ch:
			return true
		case <-time.After(300 * time.Millisecond):
			return false
		}
	}
	if woken(func() {
		if _, err := kube.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, lease("a-1"), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}) {
		t.Error("an agent's Lease renewal woke the View")
	}
	if !woken(func() {
		if _, err := kube.CoordinationV1().Leases(corev1.NamespaceNodeLease).Update(ctx, lease("s-1"), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}) {
		t.Error("a server's Lease renewal did not wake the View")
	}
	if !woken(func() {
		n := a.DeepCopy()
		n.Status.NodeInfo.KubeletVersion = "v1.31.13+k3s1"
		if _, err := kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}) {
		t.Error("a node's new version did not wake the View")
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, _ = v.Read(ctx)
		if n := inventoryNode(got.Inventory, "a-1"); n != nil && n.KubeletVersion == "v1.31.13+k3s1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the View never saw a-1's new version")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestViewFollowsLeasesThroughAPassingFailure: the View leaves out the node Leases
// only when the apiserver refuses them; a probe that fails because the apiserver is
// away (restarting under the run) still gets its watch, which catches up once it is
// back: without it no server whose heartbeat came only through its Lease would ever
// count as back.
func TestViewFollowsLeasesThroughAPassingFailure(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		follow bool
	}{
		{"the apiserver away", errors.New("dial tcp 127.0.0.1:6443: connect: connection refused"), true},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{Group: "coordination.k8s.io", Resource: "leases"}, "", errors.New("no")), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := nodeObj("s-1", "v1.30.14+k3s1", true)
			now := metav1.NewMicroTime(time.Now())
			kube := fake.NewSimpleClientset(&s, &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: "s-1", Namespace: corev1.NamespaceNodeLease}, Spec: coordinationv1.LeaseSpec{RenewTime: &now}})
			failed := false
			kube.PrependReactor("list", "leases", func(k8stesting.Action) (bool, runtime.Object, error) {
				if failed && !apierrors.IsForbidden(tc.err) {
					return false, nil, nil
				}
				failed = true
				return true, nil, tc.err
			})
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			v, err := StartView(ctx, kube, []string{"s-1"})
			if err != nil {
				t.Fatal(err)
			}
			defer v.Stop()
			cl, _ := v.Read(ctx)
			if got := !v.Leases(cl.Inventory)["s-1"].IsZero(); got != tc.follow {
				t.Errorf("the server's Lease seen: %v, want %v", got, tc.follow)
			}
		})
	}
}
