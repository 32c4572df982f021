package rancher

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// patchImported merges body into the management Cluster as our field manager, at the
// resourceVersion c was read with. Rancher writes the Cluster's status all the time:
// a conflict is retried on a fresh resourceVersion only while the version we judged
// is unchanged. On success c becomes the Cluster as written.
func patchImported(ctx context.Context, dyn dynamic.Interface, c *ImportedCluster, body map[string]any) error {
	meta := map[string]any{"resourceVersion": c.ResourceVersion}
	if m, ok := body["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	body["metadata"] = meta
	res := dyn.Resource(ManagementClusterResource)
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		b, merr := json.Marshal(body)
		if merr != nil {
			return merr
		}
		written, perr := res.Patch(ctx, c.Name, types.MergePatchType, b, metav1.PatchOptions{FieldManager: FieldManager})
		if perr == nil {
			*c = importedFrom(written)
			return nil
		}
		err = perr
		if !apierrors.IsConflict(perr) {
			break
		}
		fresh, gerr := res.Get(ctx, c.Name, metav1.GetOptions{})
		if gerr != nil {
			return fmt.Errorf("patch Cluster %s: %w", c.Name, gerr)
		}
		now := importedFrom(fresh)
		if now.Version != c.Version || now.Strategy != c.Strategy {
			return fmt.Errorf("the Cluster %s changed while we were deciding (version %s, was %s): run the command again", c.Name, now.Version, c.Version)
		}
		meta["resourceVersion"] = fresh.GetResourceVersion()
	}
	return fmt.Errorf("patch Cluster %s: %w", c.Name, err)
}

// SetImportedVersion sets only spec.<driver>Config.kubernetesVersion to v.
func SetImportedVersion(ctx context.Context, dyn dynamic.Interface, c *ImportedCluster, v string) error {
	return patchImported(ctx, dyn, c, map[string]any{"spec": map[string]any{configKey(c.Driver): map[string]any{"kubernetesVersion": v}}})
}

// SetImportedStrategy writes the upgrade strategy the user asked for.
func SetImportedStrategy(ctx context.Context, dyn dynamic.Interface, c *ImportedCluster, st Strategy) error {
	return patchImported(ctx, dyn, c, map[string]any{"spec": map[string]any{configKey(c.Driver): map[string]any{strategyKey(c.Driver): st}}})
}

// SetAbort asks (on) or stops asking (off) a run to stop before its next hop.
func SetAbort(ctx context.Context, dyn dynamic.Interface, c *ImportedCluster, on bool) error {
	var v any // null removes the annotation
	if on {
		v = time.Now().UTC().Format(time.RFC3339)
	}
	return patchImported(ctx, dyn, c, map[string]any{"metadata": map[string]any{"annotations": map[string]any{AnnotationAbort: v}}})
}

// ImportedRun follows one imported cluster through Rancher's upgrades.
type ImportedRun struct {
	Dynamic dynamic.Interface
	Name    string
	// Timeout is how long a hop may make no progress before the run stops.
	Timeout time.Duration
	Poll    time.Duration
	Out     func(format string, args ...any)
}

// HopStallError is a hop with no progress for the whole timeout.
type HopStallError struct {
	Hop     string
	Timeout time.Duration
	Detail  string
}

func (e *HopStallError) Error() string {
	return fmt.Sprintf("the hop to %s made no progress in %v: %s", e.Hop, e.Timeout, e.Detail)
}

// Follow waits until the hop to v is done (HopDone), printing each node as it moves
// and each Upgraded message. patched says we set the version in this run, so a True
// Upgraded counts only after it went Unknown.
func (r *ImportedRun) Follow(ctx context.Context, v string, patched bool, seen []ImportedNode) (*ImportedState, error) {
	if r.Poll <= 0 {
		r.Poll = Resync
	}
	// Read again at each change of the cluster object or its nodes; Poll is only
	// the resync for the stall decision.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changed := watchChanges(wctx, r.Dynamic, watched{gvr: ManagementClusterResource, name: r.Name}, watched{gvr: ManagementNodeResource, ns: r.Name})
	if r.Timeout <= 0 {
		r.Timeout = 30 * time.Minute
	}
	was := map[string]string{}
	for _, n := range seen {
		was[n.Name] = n.KubeletVersion
	}
	sawUnknown, message := !patched, ""
	last, since := "", time.Now()
	for {
		s, err := RefreshImported(ctx, r.Dynamic, r.Name)
		if err != nil {
			return nil, err
		}
		up := s.Condition(ConditionUpgraded)
		if up.Status != "True" {
			sawUnknown = true
		}
		// Moves first: a message read in the same poll is about the nodes after them.
		moved, total := s.Moved(v)
		for _, n := range s.InOrder() {
			if was[n.Name] != n.KubeletVersion {
				r.Out("  %-24s %-18s %s -> %s (%d of %d)", n.Node, importedRoles(n), orNone(was[n.Name]), n.KubeletVersion, moved, total)
				was[n.Name] = n.KubeletVersion
			}
		}
		if up.Message != message && up.Message != "" {
			message = up.Message
			r.Out("  rancher: Upgraded %s: %s", up.Status, message)
		}
		if s.HopDone(v, sawUnknown) {
			return s, nil
		}
		if key := s.ProgressKey(v); key != last {
			last, since = key, time.Now()
		} else if time.Since(since) > r.Timeout {
			return s, &HopStallError{Hop: v, Timeout: r.Timeout, Detail: s.Stalled(v)}
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-changed:
		case <-time.After(r.Poll):
		}
	}
}

func importedRoles(n ImportedNode) string {
	out := ""
	add := func(on bool, r string) {
		if !on {
			return
		}
		if out != "" {
			out += ","
		}
		out += r
	}
	add(n.Etcd, "etcd")
	add(n.ControlPlane, "control-plane")
	add(n.Worker, "worker")
	if out == "" {
		return "-"
	}
	return out
}
