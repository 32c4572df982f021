package rancher

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

func object(t testing.TB, gvk schema.GroupVersionKind, js string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := json.Unmarshal([]byte(js), &u.Object); err != nil {
		t.Fatal(err)
	}
	u.SetGroupVersionKind(gvk)
	return u
}

// TestReadOddFields: a Cluster, control plane or Machine whose deciding fields have
// another type than Rancher writes is one line naming the object and the field;
// missing fields and odd fields we do not decide on are read as empty.
func TestReadOddFields(t *testing.T) {
	clusterGVK := schema.GroupVersionKind{Group: "provisioning.cattle.io", Version: "v1", Kind: "Cluster"}
	cpGVK := schema.GroupVersionKind{Group: "rke.cattle.io", Version: "v1", Kind: "RKEControlPlane"}
	machineGVK := schema.GroupVersionKind{Group: "cluster.x-k8s.io", Version: "v1beta1", Kind: "Machine"}
	meta := `"metadata":{"name":"c1","namespace":"fleet-default"}`
	machineMeta := `"metadata":{"name":"m1","namespace":"fleet-default","labels":{"cluster.x-k8s.io/cluster-name":"c1"}}`
	tests := []struct {
		name                 string
		cluster, cp, machine string
		want                 string // "" reads fine
	}{
		{"ok", `{` + meta + `,"spec":{"kubernetesVersion":"v1.32.9+rke2r1"}}`, `{` + meta + `}`, `{` + machineMeta + `}`, ""},
		{"odd but unused", `{` + meta + `,"spec":{"kubernetesVersion":"v1.32.9+rke2r1","rkeConfig":{"upgradeStrategy":{"workerConcurrency":7}}},"status":{"conditions":"x"}}`,
			`{` + meta + `,"status":{"conditions":[1,"a",null]}}`, `{` + machineMeta + `,"status":{"phase":3}}`, ""},
		{"version a number", `{` + meta + `,"spec":{"kubernetesVersion":1.32}}`, `{` + meta + `}`, `{` + machineMeta + `}`,
			"provisioning.cattle.io Cluster fleet-default/c1: spec.kubernetesVersion is a JSON number, not a string"},
		{"spec a list", `{` + meta + `,"spec":[]}`, `{` + meta + `}`, `{` + machineMeta + `}`,
			"provisioning.cattle.io Cluster fleet-default/c1: spec.kubernetesVersion cannot be read"},
		{"applied an object", `{` + meta + `}`, `{` + meta + `,"status":{"appliedSpec":{"kubernetesVersion":{"a":1}}}}`, `{` + machineMeta + `}`,
			"RKEControlPlane fleet-default/c1: status.appliedSpec.kubernetesVersion is a JSON object, not a string"},
		{"kubelet a bool", `{` + meta + `}`, `{` + meta + `}`, `{` + machineMeta + `,"status":{"nodeInfo":{"kubeletVersion":true}}}`,
			"Machine fleet-default/m1: status.nodeInfo.kubeletVersion is a JSON boolean, not a string"},
		{"nodeRef a string", `{` + meta + `}`, `{` + meta + `}`, `{` + machineMeta + `,"status":{"nodeRef":"n1"}}`,
			"Machine fleet-default/m1: status.nodeRef.name cannot be read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
				map[schema.GroupVersionResource]string{MachineResource: "MachineList", SnapshotResource: "ETCDSnapshotList"},
				object(t, clusterGVK, tc.cluster), object(t, cpGVK, tc.cp), object(t, machineGVK, tc.machine))
			s, err := read(context.Background(), dyn, "fleet-default", "c1", false)
			if tc.want == "" {
				if err != nil || s == nil {
					t.Fatalf("read: %v", err)
				}
				_ = s.Inventory()
				_ = s.Status("")
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line with %q", err, tc.want)
			}
		})
	}
}

// FuzzProvisioningObjects: a provisioning Cluster, RKEControlPlane, Machine and
// ETCDSnapshot of any shape are read and judged without a panic, and the odd-field
// check answers one line or nothing.
func FuzzProvisioningObjects(f *testing.F) {
	f.Add(`{"metadata":{"name":"c1","namespace":"fleet-default","annotations":{"a":"b"}},"spec":{"kubernetesVersion":"v1.32.9+rke2r1","rkeConfig":{"upgradeStrategy":{"controlPlaneConcurrency":"1"},"etcdSnapshotCreate":{"generation":2},"etcdSnapshotRestore":{"name":"s1","generation":1,"restoreRKEConfig":"all"}}},"status":{"clusterName":"c-m-1","conditions":[{"type":"Ready","status":"True"}]}}`,
		`{"status":{"appliedSpec":{"kubernetesVersion":"v1.32.9+rke2r1"},"conditions":[{"type":"Ready","status":"False","reason":"Error","message":"x"}],"etcdSnapshotCreate":{"generation":2.5}}}`,
		`{"metadata":{"name":"m1","labels":{"rke.cattle.io/etcd-role":"true"}},"status":{"nodeRef":{"name":"n1"},"nodeInfo":{"kubeletVersion":"v1.32.9+rke2r1"},"phase":"Running"}}`,
		`{"metadata":{"name":"s1"},"snapshotFile":{"nodeName":"n1","location":"file:///x","status":"successful","createdAt":"2026-01-01T00:00:00Z","metadata":"e30="}}`)
	f.Add(`{"spec":[],"metadata":{"annotations":7}}`, `{"status":{"conditions":[null,1,"x"]}}`, `{"status":{"nodeRef":"n","nodeInfo":{"kubeletVersion":true}}}`, `{"snapshotFile":{"createdAt":5,"metadata":"%%%"}}`)
	f.Add(`{"spec":{"kubernetesVersion":"v1.32.9+rke2r1$(id)\n"},"status":{"conditions":{"a":1}}}`, `null`, `{"metadata":{"name":"../x"}}`, `[]`)
	f.Fuzz(func(t *testing.T, cluster, cp, machine, snapshot string) {
		objs := make([]*unstructured.Unstructured, 4)
		for i, js := range []string{cluster, cp, machine, snapshot} {
			objs[i] = &unstructured.Unstructured{Object: map[string]any{}}
			var m map[string]any
			if json.Unmarshal([]byte(js), &m) == nil && m != nil {
				objs[i].Object = m
			}
		}
		for i, fields := range [][][]string{clusterFields, controlPlaneFields, machineFields} {
			if err := oddFields("object", objs[i], fields...); err != nil && strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("not one line: %q", err)
			}
		}
		c := controlPlaneFrom(objs[1])
		s := &State{Cluster: clusterFrom(objs[0]), ControlPlane: &c, Machines: []Machine{machineFrom(objs[2])}, Snapshots: []Snapshot{snapshotFrom(objs[3])}}
		_ = s.Inventory()
		_ = s.Status(s.Snapshots[0].Name)
		_ = s.ProgressTo(s.Cluster.KubernetesVersion)
		_ = s.Refusals(hops(k31, k32))
		_, _ = s.RollbackSnapshot(s.Snapshots[0].Name)
		_ = s.InOrder()
		_ = NewSnapshots(nil, s.Snapshots)
	})
}
