package rollback

import (
	"fmt"
	"sort"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Verify judges a rollback to expect. The restore took every API object back to
// the snapshot, so nothing in the cluster records what was expected: the version
// comes from the runbook. A node is back when its kubelet reports expect and it is
// Ready; a server also needs its control plane on expect (the kube-apiserver's
// version, from its mirror pod on RKE2; K3s embeds it in the same binary). Our
// Plans must be gone: they were created after the snapshot, so a cluster that
// still has them was not restored.
func Verify(expect version.Version, nodes []corev1.Node, pods []corev1.Pod, plans []upgradev1.Plan) *report.RollbackVerify {
	r := report.NewRollbackVerify()
	r.Expect = expect.String()
	for i := range plans {
		r.Plans = append(r.Plans, plans[i].Name)
	}
	sort.Strings(r.Plans)
	inv := cluster.Build(cluster.Objects{Nodes: nodes, Pods: pods})
	apiserver := map[string]cluster.ComponentVersion{}
	for _, in := range inv.ControlPlane {
		if c, ok := in.Components[cluster.APIServer]; ok {
			apiserver[in.Node] = c
		}
	}
	serversBack := 0
	for i := range nodes {
		n := &nodes[i]
		role := cluster.RoleOf(n)
		vn := report.RollbackVerifyNode{Name: n.Name, Role: string(role), Version: n.Status.NodeInfo.KubeletVersion, Ready: cluster.Ready(n), Problems: []string{}}
		kv, err := version.Parse(vn.Version)
		onExpect := err == nil && kv.Compare(expect) == 0
		if !onExpect {
			vn.Problems = append(vn.Problems, fmt.Sprintf("kubelet reports %s, not %s", text.OrDash(vn.Version), expect))
		}
		if !vn.Ready {
			vn.Problems = append(vn.Problems, "not Ready")
		}
		if c, ok := apiserver[n.Name]; ok && role.IsServer() && c.Parsed != nil && !samePatch(*c.Parsed, expect) {
			vn.Problems = append(vn.Problems, fmt.Sprintf("kube-apiserver runs %s, not %s", c.Parsed, expect))
		}
		if onExpect && role.IsServer() {
			serversBack++
		}
		r.Nodes = append(r.Nodes, vn)
	}
	sort.Slice(r.Nodes, func(i, j int) bool { return r.Nodes[i].Name < r.Nodes[j].Name })
	done := len(r.Plans) == 0
	for _, n := range r.Nodes {
		done = done && len(n.Problems) == 0
	}
	switch {
	case done:
		r.State = report.RollbackComplete
	case serversBack == 0 && len(r.Plans) > 0:
		// The restore runs on a server first, and removes the Plans.
		r.State = report.RollbackNotStarted
	default:
		r.State = report.RollbackPartial
	}
	return r
}

// samePatch compares major.minor.patch: an apiserver image tag carries no distro revision.
func samePatch(a, b version.Version) bool {
	return a.Major == b.Major && a.Minor == b.Minor && a.Patch == b.Patch
}
