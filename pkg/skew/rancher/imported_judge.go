package rancher

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Distro is the cluster's distribution, from its driver.
func (s *ImportedState) Distro() version.Distro {
	if s.Cluster.Driver == DriverK3s {
		return version.K3s
	}
	return version.RKE2
}

// Inventory turns the management Nodes into the Inventory the skew rules and the
// planner read: control-plane and etcd nodes are servers, the rest agents, each with
// the kubelet version, OS and Ready that Rancher's Node reports.
func (s *ImportedState) Inventory() *cluster.Inventory {
	nodes := make([]corev1.Node, 0, len(s.Nodes))
	for _, n := range s.Nodes {
		os := n.OS
		if os == "" {
			os = "linux"
		}
		labels := map[string]string{corev1.LabelHostname: n.Node, corev1.LabelOSStable: os}
		if n.Etcd {
			labels[cluster.LabelEtcd] = "true"
		}
		if n.ControlPlane {
			labels[cluster.LabelControlPlane] = "true"
		}
		ready := corev1.ConditionStatus(n.Ready)
		if ready == "" {
			ready = corev1.ConditionUnknown
		}
		nodes = append(nodes, corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: n.Node, Labels: labels},
			Status: corev1.NodeStatus{
				NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: n.KubeletVersion, OperatingSystem: os},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: ready}},
			},
		})
	}
	return cluster.Build(cluster.Objects{Nodes: nodes})
}

// Condition finds a condition of the management Cluster ("" status when absent).
func (s *ImportedState) Condition(t string) Condition {
	c, _ := find(s.Cluster.Conditions, t)
	c.Type = t
	return c
}

// VersionManagement says whether Rancher upgrades this cluster when its version
// changes: the annotation decides when it is "true" or "false"; otherwise
// ("system-default", absent or anything else) the global setting does, and a
// Rancher without the setting (before v2.11) always manages the version.
func (s *ImportedState) VersionManagement() (bool, string) {
	switch a := s.Cluster.Annotations[AnnotationVersionManagement]; a {
	case "true":
		return true, ""
	case "false":
		return false, fmt.Sprintf("its annotation %s is \"false\"", AnnotationVersionManagement)
	}
	if s.VersionManagementSetting == "" || s.VersionManagementSetting == "true" {
		return true, ""
	}
	return false, fmt.Sprintf("the setting %s is %q and the Cluster's annotation %s defers to it", SettingVersionManagement, s.VersionManagementSetting, AnnotationVersionManagement)
}

// needsManagedSUC: from Rancher v2.10 the agent runs Rancher's own
// system-upgrade-controller only with the managed-system-upgrade-controller feature.
// An unknown or unreadable server version asks nothing.
func (st Settings) needsManagedSUC() bool {
	v, err := semver.NewVersion(strings.TrimPrefix(st.ServerVersion, "v"))
	if err != nil {
		return false
	}
	return !v.LessThan(semver.MustParse("2.10.0-0"))
}

// linux: Rancher skips Windows nodes when it decides whether an upgrade is done.
func (n ImportedNode) linux() bool { return n.OS == "" || n.OS == "linux" }

// server: Rancher's master plan selects control-plane nodes; etcd-only nodes fall in
// its worker plan, but for skew they are servers.
func (n ImportedNode) server() bool { return n.ControlPlane || n.Etcd }

// Refusals says, one line each, why an upgrade along hops (the versions Rancher is
// to be set to, in order) with strategy cannot start now. An empty list means it
// may. A spec already set to one of the hops is our own run's change: it is
// followed, not refused.
func (s *ImportedState) Refusals(hops []version.Version, strategy Strategy) []string {
	c := &s.Cluster
	var out []string
	if on, why := s.VersionManagement(); !on {
		out = append(out, fmt.Sprintf("Rancher's version management is off for %s (%s): Rancher would not upgrade it; turn it on, or upgrade the cluster directly with kubectl skew upgrade against its own context", c.Name, why))
	}
	if s.Settings.needsManagedSUC() && !c.AgentFeatures[FeatureManagedSUC] {
		out = append(out, fmt.Sprintf("the agent of %s does not run Rancher's managed system-upgrade-controller (status.agentFeatures[%q] is not true, and Rancher %s needs it): Rancher's upgrade Plans would never run", c.Name, FeatureManagedSUC, s.Settings.ServerVersion))
	}
	if strategy.ServerConcurrency < 1 {
		out = append(out, fmt.Sprintf("the server concurrency of %s is %d: Rancher's Plan would select no node and wait for ever; set it with --server-concurrency", c.Name, strategy.ServerConcurrency))
	}
	if strategy.WorkerConcurrency < 1 {
		out = append(out, fmt.Sprintf("the worker concurrency of %s is %d: Rancher's Plan would select no node and wait for ever; set it with --agent-concurrency", c.Name, strategy.WorkerConcurrency))
	}
	ours := onPath(c.Version, hops)
	if !ours {
		out = append(out, s.inProgress()...)
	}
	out = append(out, hopRefusals(c.StatusVersion, hops)...)
	return append(out, s.Settings.Unsupported(hops)...)
}

// inProgress: a change that is not ours, or a cluster Rancher does not call healthy.
func (s *ImportedState) inProgress() []string {
	c := &s.Cluster
	var out []string
	for _, t := range []string{ConditionUpgraded, "Ready"} {
		if cond := s.Condition(t); cond.Status != "True" {
			out = append(out, fmt.Sprintf("the Cluster's %s condition is %s, not True%s: wait until Rancher reports it healthy", t, orNone(cond.Status), colonMessage(cond.Message)))
		}
	}
	if c.StatusVersion != c.Version {
		what := "a change is in progress"
		if skipsMinor(c.StatusVersion, c.Version) {
			what = "a change that skips a minor is in progress"
		}
		out = append(out, fmt.Sprintf("%s: the spec asks for %s but Rancher reports %s (status.version): someone else set it; wait for it, or set it back in Rancher", what, c.Version, orNone(c.StatusVersion)))
	} else {
		for _, n := range s.Nodes {
			if n.linux() && n.KubeletVersion != c.Version {
				out = append(out, fmt.Sprintf("node %s runs %s, not the cluster's %s: wait until every node is on it", n.Node, orNone(n.KubeletVersion), c.Version))
				break
			}
		}
	}
	return out
}

// hopRefusals guards what Rancher does not: each hop is one minor at most above the
// one before, and never lower (Rancher would silently ignore a lower version).
func hopRefusals(from string, hops []version.Version) []string {
	prev, err := version.Parse(from)
	if err != nil {
		return nil
	}
	var out []string
	for _, h := range hops {
		switch {
		case h.Compare(prev) < 0:
			out = append(out, fmt.Sprintf("%s is lower than %s: a downgrade, which Rancher silently ignores; restore a snapshot instead", h, prev))
		case h.Minor > prev.Minor+1 || h.Major != prev.Major:
			out = append(out, fmt.Sprintf("%s skips a minor after %s: Rancher would accept it, but the skew policy allows one minor per hop", h, prev))
		}
		prev = h
	}
	return out
}

func skipsMinor(from, to string) bool {
	f, err1 := version.Parse(from)
	t, err2 := version.Parse(to)
	return err1 == nil && err2 == nil && t.Major == f.Major && t.Minor > f.Minor+1
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func colonMessage(m string) string {
	if m == "" {
		return ""
	}
	return " (" + m + ")"
}
