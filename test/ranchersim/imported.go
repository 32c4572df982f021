package ranchersim

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/rancher"
)

// Fault annotations on an imported cluster's management Cluster.
const (
	// StuckNode names a node (its nodeName) that never moves: Rancher's Plan Job on it
	// never finishes, so Upgraded stays Unknown naming it.
	StuckNode = "ranchersim.kubectl-skew.io/stuck-node"
	// StaleUpgraded: after a version change, Upgraded stays True (the old one) for
	// a few steps before Rancher's controller notices, as a read just after a patch sees.
	StaleUpgraded = "ranchersim.kubectl-skew.io/stale-upgraded"
)

// VersionSet is one version the imported cluster's spec was set to, as Rancher saw it.
type VersionSet struct {
	Time             time.Time
	Cluster, Version string
}

// importedOp is Rancher's k3s-based upgrader at work on one cluster.
type importedOp struct {
	version   string
	stale     int
	announced []string
	last      time.Time
}

// VersionLog is every version an imported cluster's spec was set to, in order.
func (s *Simulator) VersionLog(cluster string) []VersionSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []VersionSet
	for _, v := range s.versions {
		if v.Cluster == cluster {
			out = append(out, v)
		}
	}
	return out
}

// reconcileImported plays rancher/rancher's k3sbasedupgrade handler for one
// management Cluster of driver k3s or rke2.
func (s *Simulator) reconcileImported(ctx context.Context, cl *unstructured.Unstructured) {
	c := cl.GetName()
	driver := str(cl.Object, "status", "driver")
	if driver != rancher.DriverK3s && driver != rancher.DriverRKE2 {
		return
	}
	cfg := driver + "Config"
	v := str(cl.Object, "spec", cfg, "kubernetesVersion")
	s.mu.Lock()
	if prev, seen := s.lastVersion[c]; (!seen || prev != v) && v != "" {
		s.versions = append(s.versions, VersionSet{Time: time.Now(), Cluster: c, Version: v})
	}
	s.lastVersion[c] = v
	o := s.imported[c]
	s.mu.Unlock()
	if v == "" || !s.versionManagement(ctx, cl) {
		return
	}
	nodes, err := s.dyn.Resource(rancher.ManagementNodeResource).Namespace(c).List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	upgraded := condition(cl.Object, rancher.ConditionUpgraded)
	var behind []*unstructured.Unstructured
	for i := range nodes.Items {
		n := &nodes.Items[i]
		os, _, _ := unstructured.NestedString(n.Object, "status", "nodeLabels", "kubernetes.io/os")
		if os != "windows" && newer(str(n.Object, "status", "internalNodeStatus", "nodeInfo", "kubeletVersion"), v) {
			behind = append(behind, n)
		}
	}
	servers, workers := split(behind)
	// Rancher's cluster version syncer reads the downstream apiserver's /version: it
	// reports v once every server runs it.
	if len(servers) == 0 && o != nil && newer(str(cl.Object, "status", "version", "gitVersion"), v) {
		_ = unstructured.SetNestedField(cl.Object, v, "status", "version", "gitVersion")
		if updated, err := s.dyn.Resource(rancher.ManagementClusterResource).UpdateStatus(ctx, cl, metav1.UpdateOptions{FieldManager: "rancher"}); err == nil {
			cl.Object = updated.Object
		}
	}
	// A lower or equal version with every node on it is a silent no-op, as in Rancher.
	if !newer(str(cl.Object, "status", "version", "gitVersion"), v) && len(behind) == 0 {
		if o != nil || upgraded != "True" {
			s.setImported(ctx, cl, v, "True", "")
			s.mu.Lock()
			delete(s.imported, c)
			s.mu.Unlock()
		}
		return
	}
	if o == nil || o.version != v {
		o = &importedOp{version: v, last: time.Now()}
		if cl.GetAnnotations()[StaleUpgraded] != "" {
			o.stale = 3
		}
		s.mu.Lock()
		s.imported[c] = o
		s.mu.Unlock()
		return
	}
	if time.Since(o.last) < s.stepNow() {
		return
	}
	o.last = time.Now()
	if o.stale > 0 {
		o.stale--
		return
	}
	if upgraded == "True" {
		s.setImported(ctx, cl, "", "Unknown", "cluster is being upgraded")
		return
	}
	// Without Rancher's managed system-upgrade-controller the Plans are written but
	// nothing runs them.
	if !s.managedSUC(ctx, cl) {
		return
	}
	if len(o.announced) > 0 {
		stuck := cl.GetAnnotations()[StuckNode]
		for _, n := range behind {
			for _, name := range o.announced {
				if str(n.Object, "status", "nodeName") == name && name != stuck {
					s.moveNode(ctx, c, n, v)
				}
			}
		}
		o.announced = nil
		return
	}
	group, plan, concurrency := servers, "controlplane", num(cl.Object, "spec", cfg, driver+"upgradeStrategy", "serverConcurrency")
	if len(servers) == 0 {
		group, plan, concurrency = workers, "worker", num(cl.Object, "spec", cfg, driver+"upgradeStrategy", "workerConcurrency")
	}
	// SUC's concurrency 0 selects no node: Rancher waits for ever.
	var names []string
	for _, n := range group {
		if int64(len(names)) >= concurrency {
			break
		}
		names = append(names, str(n.Object, "status", "nodeName"))
	}
	if len(names) == 0 {
		return
	}
	o.announced = names
	s.setImported(ctx, cl, "", "Unknown", fmt.Sprintf("%s node [%s] being upgraded", plan, strings.Join(names, ", ")))
}

// split: Rancher's master plan selects control-plane nodes; everything else,
// etcd-only nodes included, is in its worker plan. Each by name, as SUC's order is
// its own.
func split(nodes []*unstructured.Unstructured) (servers, workers []*unstructured.Unstructured) {
	sort.Slice(nodes, func(i, j int) bool {
		return str(nodes[i].Object, "status", "nodeName") < str(nodes[j].Object, "status", "nodeName")
	})
	for _, n := range nodes {
		if cp, _, _ := unstructured.NestedBool(n.Object, "spec", "controlPlane"); cp {
			servers = append(servers, n)
		} else {
			workers = append(workers, n)
		}
	}
	return servers, workers
}

func (s *Simulator) versionManagement(ctx context.Context, cl *unstructured.Unstructured) bool {
	switch cl.GetAnnotations()[rancher.AnnotationVersionManagement] {
	case "true":
		return true
	case "false":
		return false
	}
	o, err := s.dyn.Resource(rancher.SettingResource).Get(ctx, rancher.SettingVersionManagement, metav1.GetOptions{})
	return err != nil || str(o.Object, "value") != "false"
}

func (s *Simulator) managedSUC(ctx context.Context, cl *unstructured.Unstructured) bool {
	if on, _, _ := unstructured.NestedBool(cl.Object, "status", "agentFeatures", rancher.FeatureManagedSUC); on {
		return true
	}
	o, err := s.dyn.Resource(rancher.SettingResource).Get(ctx, "server-version", metav1.GetOptions{})
	if err != nil {
		return true
	}
	v, err := semver.NewVersion(strings.TrimPrefix(str(o.Object, "value"), "v"))
	return err != nil || v.LessThan(semver.MustParse("2.10.0-0"))
}

// newer: b is a newer version than a (Rancher's nodesyncer.IsNewerVersion).
func newer(a, b string) bool {
	va, err1 := semver.NewVersion(strings.TrimPrefix(a, "v"))
	vb, err2 := semver.NewVersion(strings.TrimPrefix(b, "v"))
	if err1 != nil || err2 != nil {
		return a == "" && b != ""
	}
	return vb.GreaterThan(va)
}

func condition(o map[string]any, t string) string {
	list, _, _ := unstructured.NestedSlice(o, "status", "conditions")
	for _, item := range list {
		if m, ok := item.(map[string]any); ok && str(m, "type") == t {
			return str(m, "status")
		}
	}
	return ""
}

// setImported sets Upgraded (and status.version when version is set) on the Cluster.
func (s *Simulator) setImported(ctx context.Context, cl *unstructured.Unstructured, version, status, message string) {
	list, _, _ := unstructured.NestedSlice(cl.Object, "status", "conditions")
	out := make([]any, 0, len(list)+1)
	for _, item := range list {
		if m, ok := item.(map[string]any); ok && str(m, "type") != rancher.ConditionUpgraded {
			out = append(out, item)
		}
	}
	out = append(out, conds(status, "", message, rancher.ConditionUpgraded)...)
	_ = unstructured.SetNestedSlice(cl.Object, out, "status", "conditions")
	if version != "" {
		_ = unstructured.SetNestedField(cl.Object, version, "status", "version", "gitVersion")
	}
	if updated, err := s.dyn.Resource(rancher.ManagementClusterResource).UpdateStatus(ctx, cl, metav1.UpdateOptions{FieldManager: "rancher"}); err == nil {
		cl.Object = updated.Object
	}
}

func (s *Simulator) moveNode(ctx context.Context, cluster string, n *unstructured.Unstructured, v string) {
	from := str(n.Object, "status", "internalNodeStatus", "nodeInfo", "kubeletVersion")
	_ = unstructured.SetNestedField(n.Object, v, "status", "internalNodeStatus", "nodeInfo", "kubeletVersion")
	if _, err := s.dyn.Resource(rancher.ManagementNodeResource).Namespace(n.GetNamespace()).UpdateStatus(ctx, n, metav1.UpdateOptions{}); err != nil {
		return
	}
	var roles []string
	for _, r := range []string{"etcd", "controlPlane", "worker"} {
		if on, _, _ := unstructured.NestedBool(n.Object, "spec", r); on {
			roles = append(roles, map[string]string{"etcd": "etcd", "controlPlane": "control-plane", "worker": "worker"}[r])
		}
	}
	s.mu.Lock()
	s.events = append(s.events, Event{Time: time.Now(), Cluster: cluster, Machine: str(n.Object, "status", "nodeName"), Roles: strings.Join(roles, ","), From: from, To: v})
	s.mu.Unlock()
}
