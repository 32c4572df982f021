package upgrade

import (
	"context"
	"fmt"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// The upgrade images end their Job as soon as the new binary is in place and the
// service was told to restart: the node restarts after its Job (docs/domain.md). So a
// server counts as back only once what the restart changes is visible again.

// staticPodComponents are the control-plane components that run as static pods on
// RKE2 (and kubeadm-style) servers, and must come back on the new version.
var staticPodComponents = []cluster.Component{cluster.APIServer, cluster.ControllerManager, cluster.Scheduler}

// ServerBack says what is still missing before server node counts as back after its
// upgrade to `to`, or "" when it is back: its kubelet reports `to`, it is Ready with a
// heartbeat newer than the end of its Job, and, where the control plane runs as static
// pods, its kube-apiserver, kube-controller-manager and kube-scheduler run `to` and
// are Ready. The heartbeat is the Ready condition's, or the node Lease's renewal
// (lease; zero when unknown).
func ServerBack(inv *cluster.Inventory, node string, to version.Version, jobEnd, lease time.Time) string {
	n := inventoryNode(inv, node)
	switch {
	case n == nil:
		return "the node is gone from the cluster"
	case n.Kubelet == nil || n.Kubelet.Compare(to) < 0:
		return fmt.Sprintf("its kubelet reports %s, not yet %s", n.KubeletVersion, to)
	case !n.Ready:
		return "it is not Ready"
	case !jobEnd.IsZero() && !n.Heartbeat.After(jobEnd) && !lease.After(jobEnd):
		return fmt.Sprintf("no heartbeat since its upgrade Job ended at %s", jobEnd.UTC().Format(time.TimeOnly))
	}
	if n.Role != cluster.RoleServer || inv.Distro == version.K3s {
		return "" // etcd-only servers run no control plane; K3s embeds it in its kubelet's binary
	}
	return staticPodsAt(inv, node, to)
}

// staticPodsAt says which control-plane static pod of node does not run `to`, or is
// not Ready; "" when all do.
func staticPodsAt(inv *cluster.Inventory, node string, to version.Version) string {
	var in *cluster.Instance
	for i := range inv.ControlPlane {
		if inv.ControlPlane[i].Node == node {
			in = &inv.ControlPlane[i]
		}
	}
	var missing []string
	for _, c := range staticPodComponents {
		var cv cluster.ComponentVersion
		ok := in != nil
		if ok {
			cv, ok = in.Components[c]
		}
		switch {
		case !ok:
			missing = append(missing, fmt.Sprintf("no %s pod", c))
		case cv.Source == cluster.SourceKubelet:
			missing = append(missing, fmt.Sprintf("%s cannot be seen (kube-system pods were not read)", c))
		case cv.Parsed == nil || cv.Parsed.Compare(to) < 0:
			missing = append(missing, fmt.Sprintf("%s runs %s", c, cv.Version))
		case cv.PodReady == "False":
			missing = append(missing, fmt.Sprintf("%s is not Ready", c))
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return strings.Join(missing, ", ") + ", not yet " + to.String()
}

// ControlPlaneAt says what keeps the control plane from running `to` by the
// definition check uses (static pods on RKE2, server kubelets on K3s), or "" when
// every control-plane node runs it: the condition for releasing the agents.
func ControlPlaneAt(inv *cluster.Inventory, to version.Version) string {
	var missing []string
	for _, n := range inv.Nodes {
		if !n.Role.IsServer() {
			continue
		}
		if n.Kubelet == nil || n.Kubelet.Compare(to) < 0 {
			missing = append(missing, fmt.Sprintf("%s: kubelet %s", n.Name, n.KubeletVersion))
			continue
		}
		if n.Role == cluster.RoleServer && inv.Distro != version.K3s {
			if m := staticPodsAt(inv, n.Name, to); m != "" {
				missing = append(missing, n.Name+": "+m)
			}
		}
	}
	return strings.Join(missing, "; ")
}

func inventoryNode(inv *cluster.Inventory, name string) *cluster.Node {
	for i := range inv.Nodes {
		if inv.Nodes[i].Name == name {
			return &inv.Nodes[i]
		}
	}
	return nil
}

// jobEndOf is when the newest Job of plan on node completed; zero when none did.
func jobEndOf(jobs map[suc.JobKey]*batchv1.Job, plan, node string) time.Time {
	if j := jobs[suc.JobKey{Plan: plan, Node: node}]; j != nil && j.Status.CompletionTime != nil {
		return j.Status.CompletionTime.Time
	}
	return time.Time{}
}

// unsettledServers are the servers of our server Plans that run their Plan's version
// but are not back yet ("server <name>"), with what is missing: no further server may
// start before them.
func unsettledServers(inv *cluster.Inventory, ours []upgradev1.Plan, jobs []batchv1.Job, leases map[string]time.Time) map[string]string {
	latest := suc.LatestJobs(jobs)
	byHostname := map[string]*cluster.Node{}
	for i := range inv.Nodes {
		byHostname[inv.Nodes[i].Hostname] = &inv.Nodes[i]
	}
	out := map[string]string{}
	for i := range ours {
		p := &ours[i]
		if p.Labels[suc.LabelRole] != suc.RoleServer {
			continue
		}
		v, err := suc.PlanVersion(p)
		if err != nil {
			continue
		}
		for _, h := range suc.SelectedHostnames(p) {
			n := byHostname[h]
			if n == nil || n.Kubelet == nil || n.Kubelet.Compare(v) < 0 {
				continue // not upgraded yet: in flight, or not started
			}
			if missing := ServerBack(inv, n.Name, v, jobEndOf(latest, p.Name, n.Name), leases[n.Name]); missing != "" {
				out["server "+n.Name] = missing
			}
		}
	}
	return out
}

// ServerLeases are the renewal times of the servers' node Leases (kube-node-lease),
// a kubelet's other heartbeat. A Lease that cannot be read is left out: the Ready
// condition's heartbeat stands alone then.
func ServerLeases(ctx context.Context, kube kubernetes.Interface, inv *cluster.Inventory) map[string]time.Time {
	out := map[string]time.Time{}
	for _, n := range inv.Servers() {
		l, err := kube.CoordinationV1().Leases(corev1.NamespaceNodeLease).Get(ctx, n.Name, metav1.GetOptions{})
		if err == nil && l.Spec.RenewTime != nil {
			out[n.Name] = l.Spec.RenewTime.Time
		}
	}
	return out
}
