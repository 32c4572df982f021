// Package ranchersim plays Rancher's part for a provisioned (v2) cluster on the
// sandbox's management apiserver, as Rancher's controllers behave (read from
// rancher/rancher's planner and etcd-snapshot controllers; docs/rancher.md says what
// is simulated):
//
//   - a change of spec.kubernetesVersion is accepted as it is, with no check for a
//     skipped minor or a downgrade; Machines move one at a time, the init etcd node
//     first, then the other etcd nodes, the control plane, then the workers; the
//     RKEControlPlane's Ready goes Unknown (reason Waiting, with Rancher's messages)
//     and appliedSpec is set only once every node runs the version;
//   - a bump of etcdSnapshotCreate.generation runs the phases Started, RestartCluster,
//     Finished and creates one ETCDSnapshot per etcd node, with createdAt and the
//     Cluster spec in its metadata;
//   - a restore with restoreRKEConfig kubernetesVersion runs its phases, rewrites the
//     Cluster's version from the snapshot, and moves every node back at once.
//
// Annotations on the Cluster inject faults: FailAt makes the move to a version fail
// (Ready=False, reason Error), SnapshotFail makes the next snapshot fail.
package ranchersim

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

//go:embed crds.yaml
var crds []byte

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs creates Rancher's CRDs (our reduced schemas) and waits until they are served.
func InstallCRDs(ctx context.Context, dyn dynamic.Interface, disc discovery.DiscoveryInterface) error {
	for _, doc := range bytes.Split(crds, []byte("\n---\n")) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return fmt.Errorf("crds.yaml: %w", err)
		}
		_, err := dyn.Resource(crdResource).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create CRD: %w", err)
		}
	}
	for _, gvr := range []schema.GroupVersionResource{rancher.ClusterResource, rancher.ControlPlaneResource, rancher.SnapshotResource, rancher.MachineResource, rancher.SettingResource,
		rancher.ManagementClusterResource} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1}); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not served 30s after its CRD was created", gvr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}
