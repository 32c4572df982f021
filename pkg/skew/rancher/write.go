package rancher

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// patchCluster merges spec and annotations into the Cluster, as our field manager and
// only if nobody changed it since c was read (its resourceVersion). Nothing else on the
// Cluster changes. On success c becomes the Cluster as written.
func patchCluster(ctx context.Context, dyn dynamic.Interface, c *Cluster, spec map[string]any, annotations map[string]string) error {
	meta := map[string]any{"resourceVersion": c.ResourceVersion}
	if len(annotations) > 0 {
		meta["annotations"] = annotations
	}
	body := map[string]any{"metadata": meta}
	if spec != nil {
		body["spec"] = spec
	}
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	res := dyn.Resource(ClusterResource).Namespace(c.Namespace)
	for attempt := 0; ; attempt++ {
		var written *unstructured.Unstructured
		written, err = res.Patch(ctx, c.Name, types.MergePatchType, b, metav1.PatchOptions{FieldManager: FieldManager})
		if err == nil {
			*c = clusterFrom(written)
			return nil
		}
		if !apierrors.IsConflict(err) || attempt == 4 {
			break
		}
		// Rancher's controllers write the Cluster's status all the time. Retry on a
		// fresh resourceVersion, but only if the spec we judged is still the same.
		fresh, gerr := res.Get(ctx, c.Name, metav1.GetOptions{})
		if gerr != nil {
			return fmt.Errorf("patch Cluster %s/%s: %w", c.Namespace, c.Name, gerr)
		}
		now := clusterFrom(fresh)
		if now.KubernetesVersion != c.KubernetesVersion || now.SnapshotCreateGeneration != c.SnapshotCreateGeneration || !sameRestore(now.Restore, c.Restore) {
			return fmt.Errorf("the Cluster %s/%s changed while we were deciding (version %s, was %s): run the command again", c.Namespace, c.Name, now.KubernetesVersion, c.KubernetesVersion)
		}
		meta["resourceVersion"] = fresh.GetResourceVersion()
		if b, err = json.Marshal(body); err != nil {
			return err
		}
	}
	return fmt.Errorf("patch Cluster %s/%s: %w", c.Namespace, c.Name, err)
}

func sameRestore(a, b *Restore) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// SetVersion sets spec.kubernetesVersion, and records the target of the run.
func SetVersion(ctx context.Context, dyn dynamic.Interface, c *Cluster, v, target string) error {
	return patchCluster(ctx, dyn, c, map[string]any{"kubernetesVersion": v}, map[string]string{AnnotationUpgradeTarget: target})
}

// RequestSnapshot bumps spec.rkeConfig.etcdSnapshotCreate.generation; it returns the
// generation asked for.
func RequestSnapshot(ctx context.Context, dyn dynamic.Interface, c *Cluster) (int64, error) {
	gen := c.SnapshotCreateGeneration + 1
	return gen, patchCluster(ctx, dyn, c, map[string]any{"rkeConfig": map[string]any{"etcdSnapshotCreate": map[string]any{"generation": gen}}}, nil)
}

// RecordSnapshot notes on the Cluster the snapshot a rollback restores and the
// version it was taken on.
func RecordSnapshot(ctx context.Context, dyn dynamic.Interface, c *Cluster, name, from string) error {
	return patchCluster(ctx, dyn, c, nil, map[string]string{AnnotationSnapshot: name, AnnotationSnapshotFrom: from})
}

// RequestRestore sets spec.rkeConfig.etcdSnapshotRestore to restore name with its
// Kubernetes version, at the next generation; it returns that generation.
func RequestRestore(ctx context.Context, dyn dynamic.Interface, c *Cluster, cp *ControlPlane, name string) (int64, error) {
	gen := int64(0)
	if c.Restore != nil {
		gen = c.Restore.Generation
	}
	if cp != nil && cp.RestoreGeneration > gen {
		gen = cp.RestoreGeneration
	}
	gen++
	r := Restore{Name: name, Generation: gen, RestoreRKEConfig: RestoreKubernetesVersion}
	return gen, patchCluster(ctx, dyn, c, map[string]any{"rkeConfig": map[string]any{"etcdSnapshotRestore": r}}, nil)
}
