package rancher

import (
	"context"
	"fmt"
	"time"

	"k8s.io/client-go/dynamic"
)

// Config is one run against a Rancher-provisioned cluster.
type Config struct {
	Dynamic         dynamic.Interface
	Namespace, Name string
	// Timeout is how long the control plane may make no progress before the run stops.
	Timeout time.Duration
	// Poll is how often the state is read while nothing changes (default Resync):
	// every change the watches on the Cluster, its control plane and its Machines
	// see is read at once.
	Poll time.Duration
	// Out gets one line per step and per change seen.
	Out func(format string, args ...any)
}

func (c *Config) defaults() {
	if c.Poll <= 0 {
		c.Poll = Resync
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Minute
	}
	if c.Out == nil {
		c.Out = func(string, ...any) {}
	}
}

// Refresh reads what changes while Rancher works: the Cluster, its control plane and
// Machines. Snapshots and Rancher's settings are left out: a poll does not need them.
func (c *Config) Refresh(ctx context.Context) (*State, error) {
	return read(ctx, c.Dynamic, c.Namespace, c.Name, false)
}

// StallError is a wait that saw no change for the whole timeout.
type StallError struct {
	What    string
	Timeout time.Duration
	Last    string
}

func (e *StallError) Error() string {
	return fmt.Sprintf("%s made no progress in %v (last: %s)", e.What, e.Timeout, e.Last)
}

// waitFor reads the state at each change of the Cluster, its control plane or its
// Machines (and every Poll with none) until done says so. progress is a
// fingerprint of what is changing: unchanged for Timeout, the wait stops with a
// StallError.
func (c *Config) waitFor(ctx context.Context, what string, step func(*State) (done bool, progress string, err error)) (*State, error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	changed := watchChanges(wctx, c.Dynamic,
		watched{gvr: ClusterResource, ns: c.Namespace, name: c.Name},
		watched{gvr: ControlPlaneResource, ns: c.Namespace, name: c.Name},
		watched{gvr: MachineResource, ns: c.Namespace})
	last, since := "", time.Now()
	for {
		s, err := c.Refresh(ctx)
		if err != nil {
			return nil, err
		}
		done, progress, err := step(s)
		if err != nil || done {
			return s, err
		}
		if progress != last {
			last, since = progress, time.Now()
		} else if time.Since(since) > c.Timeout {
			return s, &StallError{What: what, Timeout: c.Timeout, Last: progress}
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-changed:
		case <-time.After(c.Poll):
		}
	}
}

// followPhase waits until the control plane reports the request at generation gen
// and its phase reaches Finished, printing each phase as it comes. failure, when set,
// turns a phase into an error.
func (c *Config) followPhase(ctx context.Context, what string, gen int64, of func(*ControlPlane) (int64, string), failure func(*State, string) error) (*State, error) {
	phase := ""
	return c.waitFor(ctx, what, func(s *State) (bool, string, error) {
		if s.ControlPlane == nil {
			return false, "requested", nil
		}
		g, p := of(s.ControlPlane)
		if g != gen {
			return false, "requested", nil
		}
		if p != phase {
			phase = p
			c.Out("%s: %s", what, phase)
		}
		if failure != nil {
			if err := failure(s, phase); err != nil {
				return false, phase, err
			}
		}
		return phase == "Finished", phase, nil
	})
}

// TakeSnapshot asks Rancher for an etcd snapshot, waits for it to finish at the
// generation asked for, and returns the snapshots it created.
func (c *Config) TakeSnapshot(ctx context.Context, s *State) ([]Snapshot, error) {
	c.defaults()
	before, err := ListSnapshots(ctx, c.Dynamic, c.Namespace, c.Name)
	if err != nil {
		return nil, err
	}
	gen, err := RequestSnapshot(ctx, c.Dynamic, &s.Cluster)
	if err != nil {
		return nil, err
	}
	c.Out("snapshot: asked Rancher for an etcd snapshot (etcdSnapshotCreate generation %d)", gen)
	_, err = c.followPhase(ctx, "snapshot", gen,
		func(cp *ControlPlane) (int64, string) { return cp.SnapshotCreateGeneration, cp.SnapshotCreatePhase },
		func(s *State, phase string) error {
			if phase != "Failed" {
				return nil
			}
			return fmt.Errorf("the etcd snapshot failed: Rancher's RKEControlPlane %s/%s reports etcdSnapshotCreatePhase Failed (%s)", c.Namespace, c.Name, s.Condition("Ready").Message)
		})
	if err != nil {
		return nil, err
	}
	after, err := ListSnapshots(ctx, c.Dynamic, c.Namespace, c.Name)
	if err != nil {
		return nil, err
	}
	made := NewSnapshots(before, after)
	if len(made) == 0 {
		return nil, fmt.Errorf("the snapshot finished, but no ETCDSnapshot newer than the ones before appeared for %s/%s", c.Namespace, c.Name)
	}
	return made, nil
}

// MoveTo sets the Cluster's version to v and follows Rancher until every Machine runs
// it, printing each Machine as it moves and the control plane's messages.
func (c *Config) MoveTo(ctx context.Context, s *State, v, target string) error {
	c.defaults()
	if from := s.Cluster.KubernetesVersion; from != v {
		if err := SetVersion(ctx, c.Dynamic, &s.Cluster, v, target); err != nil {
			return err
		}
		c.Out("set spec.kubernetesVersion %s -> %s", from, v)
	}
	seen := map[string]string{}
	for _, m := range s.Machines {
		seen[m.Name] = m.KubeletVersion
	}
	message := ""
	_, err := c.waitFor(ctx, "the control plane's move to "+v, func(s *State) (bool, string, error) {
		p := s.ProgressTo(v)
		for _, m := range s.InOrder() {
			if seen[m.Name] != m.KubeletVersion {
				c.Out("  %-24s %-22s %s -> %s (%d of %d)", m.Name, roles(m), seen[m.Name], m.KubeletVersion, p.Moved, p.Total)
				seen[m.Name] = m.KubeletVersion
			}
		}
		if p.Message != message && p.Message != "" {
			message = p.Message
			c.Out("  rancher: %s", message)
		}
		if p.Failed != "" {
			return false, p.Key(), fmt.Errorf("the control plane of %s/%s is in error, as Rancher reports it (Ready=False, reason Error): %s", c.Namespace, c.Name, p.Failed)
		}
		return p.Done, p.Key(), nil
	})
	return err
}

// RestoreSnapshot asks Rancher to restore snap with its Kubernetes version and follows
// the restore until the cluster is Ready on that version. Rancher never marks a
// restore failed: a stall past the timeout is the only failure there is.
func (c *Config) RestoreSnapshot(ctx context.Context, s *State, snap *Snapshot) error {
	c.defaults()
	gen, err := RequestRestore(ctx, c.Dynamic, &s.Cluster, s.ControlPlane, snap.Name)
	if err != nil {
		return err
	}
	c.Out("restore: asked Rancher to restore %s with its Kubernetes version (etcdSnapshotRestore generation %d)", snap.Name, gen)
	s, err = c.followPhase(ctx, "restore", gen,
		func(cp *ControlPlane) (int64, string) { return cp.RestoreGeneration, cp.RestorePhase }, nil)
	if err != nil {
		return err
	}
	v := snap.KubernetesVersion
	if v == "" {
		v = s.Cluster.KubernetesVersion
	}
	c.Out("restore: Rancher set spec.kubernetesVersion to %s from the snapshot; following the nodes back", s.Cluster.KubernetesVersion)
	return c.MoveTo(ctx, s, v, v)
}

func roles(m Machine) string {
	var r []string
	if m.Etcd {
		r = append(r, "etcd")
	}
	if m.Control {
		r = append(r, "control-plane")
	}
	if m.Worker {
		r = append(r, "worker")
	}
	if len(r) == 0 {
		return "-"
	}
	out := r[0]
	for _, x := range r[1:] {
		out += "," + x
	}
	return out
}
