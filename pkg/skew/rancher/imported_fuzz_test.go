package rancher

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// FuzzImportedObjects: a management Cluster or Node of any shape is read without a
// panic, and judged without one.
func FuzzImportedObjects(f *testing.F) {
	f.Add(`{"metadata":{"name":"c-m-1"},"spec":{"k3sConfig":{"kubernetesVersion":"v1.30.14+k3s2","k3supgradeStrategy":{"serverConcurrency":1}}},"status":{"driver":"k3s","version":{"gitVersion":"v1.30.14+k3s2"},"agentFeatures":{"managed-system-upgrade-controller":true},"conditions":[{"type":"Upgraded","status":"True"}]}}`,
		`{"spec":{"controlPlane":true},"status":{"nodeName":"n1","nodeLabels":{"kubernetes.io/os":"linux"},"internalNodeStatus":{"nodeInfo":{"kubeletVersion":"v1.30.14+k3s2"},"conditions":[{"type":"Ready","status":"True"}]}}}`)
	f.Add(`{"status":{"driver":"rke2","agentFeatures":{"x":"yes"},"conditions":"nope"},"spec":{"rke2Config":[]}}`, `{"status":{"nodeLabels":7,"internalNodeStatus":{"conditions":[1,{"type":3}]}}}`)
	f.Fuzz(func(t *testing.T, cluster, node string) {
		var c, n map[string]any
		if json.Unmarshal([]byte(cluster), &c) != nil || json.Unmarshal([]byte(node), &n) != nil {
			return
		}
		s := &ImportedState{Cluster: importedFrom(&unstructured.Unstructured{Object: c}), Nodes: []ImportedNode{importedNodeFrom(&unstructured.Unstructured{Object: n})}}
		_ = s.Refusals(hops(k31, k32), s.Cluster.Strategy)
		_ = s.Inventory()
		_ = s.Status()
		_ = s.HopDone(k31, true)
	})
}
