package upgrade

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/suc"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// verifyGrace is how long a finished phase may take to look right: static
// control-plane and kube-proxy pods (RKE2, kubeadm) restart with the new images a
// little after their node's kubelet.
var verifyGrace = 30 * time.Second

// Source is where a driver reads the cluster: a View (watched: Changed says when
// to read again) or the apiserver itself (Polled: read again on a timer).
type Source interface {
	Read(ctx context.Context) (*Cluster, error)
	// Changed is closed at the next change; nil when the source cannot tell.
	Changed() <-chan struct{}
}

// Polled is a Source that lists the cluster at each Read (ReadCluster).
func Polled(kube kubernetes.Interface) Source { return polled{kube} }

type polled struct{ kube kubernetes.Interface }

func (p polled) Read(ctx context.Context) (*Cluster, error) { return ReadCluster(ctx, p.kube) }
func (polled) Changed() <-chan struct{}                     { return nil }

// settledPoll is how often Settled reads a Polled source again.
const settledPoll = 2 * time.Second

// Settled reads the cluster after a step until it verifies (VerifyStep), for up to
// verifyGrace; the last verification error stands after that. A watched source is
// read again at each change, a polled one every settledPoll. Every driver reads the
// cluster after a step with it.
func Settled(ctx context.Context, src Source, step *Step, baseline map[string]bool, force bool) (*Cluster, error) {
	grace := time.NewTimer(verifyGrace)
	defer grace.Stop()
	expired := false
	for {
		changed := src.Changed()
		cl, err := src.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the cluster after %s %s: %w", step.HopLabel(), step.Phase, err)
		}
		verr := VerifyStep(cl.Inventory, step, baseline, force)
		if verr == nil || expired {
			return cl, verr
		}
		var poll <-chan time.Time
		if changed == nil {
			poll = time.After(settledPoll)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-grace.C:
			expired = true
		case <-changed:
		case <-poll:
		}
	}
}

// VerifyStep checks, from a fresh read of the inventory, that every node of the step
// runs its version (agents Ready, their kube-proxy pods on it too) and that the step
// left no skew error the cluster did not have before the run (baseline, from
// SkewErrors); force lets such errors pass. Every driver verifies its steps with it.
func VerifyStep(inv *cluster.Inventory, step *Step, baseline map[string]bool, force bool) error {
	byName := map[string]*cluster.Node{}
	for i := range inv.Nodes {
		byName[inv.Nodes[i].Name] = &inv.Nodes[i]
	}
	var behind []string
	for _, s := range step.Nodes() {
		n := byName[s.Name]
		if n == nil {
			continue // a node removed during the upgrade has nothing left to verify
		}
		if n.Kubelet == nil || n.Kubelet.Compare(step.Hop.To) < 0 {
			behind = append(behind, fmt.Sprintf("%s (%s)", s.Name, n.KubeletVersion))
			continue
		}
		if step.Phase != PhaseAgents {
			continue // a server is judged by the gate: see ServerBack
		}
		// On RKE2 kube-proxy is a static pod of its own, restarted a little after the
		// kubelet: the phase is done when it runs the version too.
		if strings.HasPrefix(n.KubeProxySource, "pod/") && (n.KubeProxy == nil || n.KubeProxy.Compare(step.Hop.To) < 0) {
			behind = append(behind, fmt.Sprintf("%s (kube-proxy %s)", s.Name, n.KubeProxyVersion))
		}
		if !n.Ready {
			behind = append(behind, s.Name+" (NotReady)")
		}
	}
	if len(behind) > 0 {
		return fmt.Errorf("after %s %s, nodes do not run %s: %s; run kubectl skew status", step.HopLabel(), step.Phase, step.Hop.To, text.Sample(behind, 5))
	}
	if step.Phase == PhaseServers && !serversAt(inv, step.Hop.To) {
		// Half way through the servers of a hop, an upgraded server's control plane is
		// newer than the others' kube-apiserver: that is the upgrade, not a new
		// problem. The rules are judged once every server runs the hop's version.
		return nil
	}
	var fresh []policy.Finding
	for _, f := range policy.Evaluate(inv, policy.Options{}) {
		if f.Severity == policy.Error && !baseline[f.ID+" "+f.Subject] {
			fresh = append(fresh, f)
		}
	}
	if len(fresh) == 0 || force {
		return nil
	}
	var lines []string
	for _, f := range fresh {
		lines = append(lines, fmt.Sprintf("%s %s: %s", f.ID, f.Subject, f.Message))
	}
	return fmt.Errorf("after %s %s the cluster breaks skew rules it did not break before: %s; stopped before the next step (kubectl skew check says how to fix; --force goes on regardless)",
		step.HopLabel(), step.Phase, strings.Join(lines, "; "))
}

// SkewErrors are the skew errors of inv, by rule and subject: a run's baseline.
func SkewErrors(inv *cluster.Inventory) map[string]bool {
	out := map[string]bool{}
	for _, f := range policy.Evaluate(inv, policy.Options{}) {
		if f.Severity == policy.Error {
			out[f.ID+" "+f.Subject] = true
		}
	}
	return out
}

// retryFailed deletes the failed Jobs of our Plans, then touches those Plans so the
// controller creates fresh Jobs instead of waiting out the failed one's TTL.
func (d *sucDriver) retryFailed(ctx context.Context) error {
	ns := d.cfg.Plans.Namespace
	jobs, err := d.cfg.Kube.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{LabelSelector: suc.OwnedSelector})
	if err != nil {
		return fmt.Errorf("list jobs in %s: %w", ns, err)
	}
	failed := suc.FailedJobs(jobs.Items)
	touched := map[string]bool{}
	bg := metav1.DeletePropagationBackground
	for _, f := range failed {
		err := d.cfg.Kube.BatchV1().Jobs(ns).Delete(ctx, f.Job, metav1.DeleteOptions{PropagationPolicy: &bg})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete failed job %s/%s: %w", ns, f.Job, err)
		}
		d.cfg.emit(Event{Kind: EventRetry, Message: fmt.Sprintf("deleted failed Job %s (node %s) so that the controller runs it again", f.Job, f.Node)})
		touched[f.Plan] = true
	}
	names := make([]string, 0, len(touched))
	for n := range touched {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := d.cfg.plans().Touch(ctx, n, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

// recordon cordons again the nodes our Plans found cordoned before they ran, once
// the controller (which uncordons every node it upgrades) is done with them.
func (d *sucDriver) recordon(ctx context.Context, inv *cluster.Inventory, ours []upgradev1.Plan) error {
	for i := range ours {
		p := &ours[i]
		v, err := suc.PlanVersion(p)
		if err != nil || len(p.Status.Applying) > 0 {
			continue
		}
		for _, name := range suc.RecordOf(p).Cordoned {
			n := inventoryNode(inv, name)
			if n == nil || n.Cordoned || n.Kubelet == nil || n.Kubelet.Compare(v) < 0 {
				continue
			}
			patch := []byte(`{"spec":{"unschedulable":true}}`)
			if _, err := d.cfg.Kube.CoreV1().Nodes().Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: suc.FieldManager}); err != nil {
				return fmt.Errorf("cordon %s again: %w", name, err)
			}
			n.Cordoned = true
			d.cfg.emit(Event{Kind: EventRecordon, Message: fmt.Sprintf("cordoned %s again: it was cordoned before the upgrade, and the controller uncordons the nodes it upgrades", name)})
		}
	}
	return nil
}

// serversAt reports whether every server runs at least version to.
func serversAt(inv *cluster.Inventory, to version.Version) bool {
	for _, n := range inv.Servers() {
		if n.Kubelet == nil || n.Kubelet.Compare(to) < 0 {
			return false
		}
	}
	return true
}
