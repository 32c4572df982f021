package nodesim

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// What K3s and RKE2 do around etcd snapshots, as far as the API shows it
// (docs/sandbox.md): `etcd-snapshot save --name N` on a server writes the file
// N-<node>-<unix time> under the data dir and records it as a cluster-scoped
// ETCDSnapshotFile; a restore (`server --cluster-reset --cluster-reset-restore-path`)
// brings every API object back to the snapshot's moment.
const (
	// AnnotationRestore on a Node plays the restore of the named ETCDSnapshotFile on
	// that server: every Plan and Job in SUC's namespace created after the snapshot
	// goes (they were not in it), and the node comes back on the version in
	// AnnotationReinstall.
	AnnotationRestore = "nodesim.kubectl-skew.io/restore"
	// AnnotationReinstall on a Node plays the reinstall of that version (a server
	// joining the restored cluster, or an agent): its kubelet comes back on it, Ready
	// and schedulable. A node without it keeps the version it runs: a half-done rollback.
	AnnotationReinstall = "nodesim.kubectl-skew.io/reinstall"

	EventSnapshotSaved = "snapshot-saved" // a snapshot Job recorded its ETCDSnapshotFile
	EventRestored      = "restored"       // the API went back to the snapshot's moment
	EventReinstalled   = "reinstalled"    // a node came back on the rollback's version
)

// SnapshotResource is K3s's record of a snapshot.
var SnapshotResource = schema.GroupVersionResource{Group: "k3s.cattle.io", Version: "v1", Resource: "etcdsnapshotfiles"}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

const snapshotCRDName = "etcdsnapshotfiles.k3s.cattle.io"

// InstallSnapshotCRD registers ETCDSnapshotFile as K3s does on start (cluster-scoped,
// with a status subresource; the schema is left open) and waits until it is served.
func InstallSnapshotCRD(ctx context.Context, dyn dynamic.Interface) error {
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": snapshotCRDName},
		"spec": map[string]any{
			"group": "k3s.cattle.io", "scope": "Cluster",
			"names": map[string]any{"plural": "etcdsnapshotfiles", "singular": "etcdsnapshotfile", "kind": "ETCDSnapshotFile", "listKind": "ETCDSnapshotFileList"},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"subresources": map[string]any{"status": map[string]any{}},
				"schema":       map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
			}},
		},
	}}
	if _, err := dyn.Resource(crdResource).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("nodesim: create the ETCDSnapshotFile CRD: %w", err)
	}
	return waitFor(ctx, func() bool {
		_, err := dyn.Resource(SnapshotResource).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil
	}, "ETCDSnapshotFile served")
}

// RemoveSnapshotCRD removes the CRD (and with it every ETCDSnapshotFile) and waits
// until it is no longer served, for the tests that expect a cluster without it.
func RemoveSnapshotCRD(ctx context.Context, dyn dynamic.Interface) error {
	if err := dyn.Resource(crdResource).Delete(ctx, snapshotCRDName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("nodesim: delete the ETCDSnapshotFile CRD: %w", err)
	}
	return waitFor(ctx, func() bool {
		_, err := dyn.Resource(crdResource).Get(ctx, snapshotCRDName, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	}, "ETCDSnapshotFile CRD gone")
}

func waitFor(ctx context.Context, ok func() bool, what string) error {
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("nodesim: not %s after 30s", what)
		}
		if !sleep(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return nil
}

var saveName = regexp.MustCompile(`etcd-snapshot save --name ([^ ;"]+)`)

// snapshotName is N when the Job runs `etcd-snapshot save --name N`.
func snapshotName(job *batchv1.Job) string {
	for _, c := range job.Spec.Template.Spec.Containers {
		if m := saveName.FindStringSubmatch(strings.Join(append(append([]string{}, c.Command...), c.Args...), " ")); m != nil {
			return m[1]
		}
	}
	return ""
}

// recordSnapshot is what the server's k3s does once `etcd-snapshot save` wrote the
// file: an ETCDSnapshotFile named after the storage and file, ready to use. Without
// the CRD (K3s before 2024) nothing is recorded.
func (s *Simulator) recordSnapshot(ctx context.Context, ev Event, name string) {
	bin, err := s.binOf(ctx, ev.Node)
	if err != nil {
		s.errorf(ev, "snapshot: %v", err)
		return
	}
	now := time.Now().UTC()
	file := fmt.Sprintf("%s-%s-%d", name, ev.Node, now.Unix())
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "k3s.cattle.io/v1", "kind": "ETCDSnapshotFile",
		"metadata": map[string]any{"name": strings.ToLower("local-" + file)},
		"spec": map[string]any{"snapshotName": file, "nodeName": ev.Node,
			"location": "file:///var/lib/rancher/" + bin + "/server/db/snapshots/" + file},
	}}
	created, err := s.dyn.Resource(SnapshotResource).Create(ctx, obj, metav1.CreateOptions{})
	if apierrors.IsNotFound(err) {
		return
	}
	if err != nil {
		s.errorf(ev, "record snapshot: %v", err)
		return
	}
	created.Object["status"] = map[string]any{"readyToUse": true, "creationTime": now.Format(time.RFC3339), "size": "8Mi"}
	if _, err := s.dyn.Resource(SnapshotResource).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		s.errorf(ev, "record snapshot status: %v", err)
		return
	}
	s.emit(ev, EventSnapshotSaved, file)
}

func (s *Simulator) binOf(ctx context.Context, node string) (string, error) {
	n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if strings.Contains(n.Status.NodeInfo.KubeletVersion, "rke2") {
		return "rke2", nil
	}
	return "k3s", nil
}

// considerNode plays the install (install.go), restore and reinstall annotations.
func (s *Simulator) considerNode(ctx context.Context, obj any) {
	n, ok := obj.(*corev1.Node)
	if !ok {
		return
	}
	s.considerInstall(ctx, n)
	snap, v := n.Annotations[AnnotationRestore], n.Annotations[AnnotationReinstall]
	if snap == "" && v == "" {
		return
	}
	key := "restore/" + n.Name + "/" + snap + "/" + v
	s.async(ctx, key, func() {
		ev := Event{Node: n.Name, Version: v}
		if snap != "" {
			if err := s.restore(ctx, snap); err != nil {
				s.errorf(ev, "restore %s: %v", snap, err)
				return
			}
			s.emit(ev, EventRestored, snap)
		}
		if v == "" {
			return
		}
		from, err := s.kubeletBack(ctx, n.Name, v, corev1.ConditionTrue)
		s.setDown(n.Name, false)
		if err == nil {
			err = s.updateNode(ctx, n.Name, func(n *corev1.Node) { n.Spec.Unschedulable = false })
		}
		if err == nil && from != v {
			err = s.upgradePods(ctx, n.Name, from, v)
		}
		if err != nil {
			s.errorf(ev, "reinstall: %v", err)
			return
		}
		ev.From = from
		s.emit(ev, EventReinstalled, "")
	})
}

// restore takes SUC's namespace back to the snapshot's moment: Plans and Jobs
// created after it were not in it.
func (s *Simulator) restore(ctx context.Context, name string) error {
	snap, err := s.dyn.Resource(SnapshotResource).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	at, found, err := unstructured.NestedString(snap.Object, "status", "creationTime")
	if err != nil || !found {
		return fmt.Errorf("no status.creationTime")
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return err
	}
	plans := s.dyn.Resource(planResource).Namespace(s.opts.Namespace)
	l, err := plans.List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range l.Items {
		if !p.GetCreationTimestamp().Time.Before(t.Truncate(time.Second)) {
			if err := plans.Delete(ctx, p.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	jobs, err := s.kube.BatchV1().Jobs(s.opts.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	bg := metav1.DeletePropagationBackground
	for _, j := range jobs.Items {
		if !j.CreationTimestamp.Time.Before(t.Truncate(time.Second)) {
			if err := s.kube.BatchV1().Jobs(j.Namespace).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil && !apierrors.IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}
