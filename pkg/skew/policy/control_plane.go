package policy

import (
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// components applies the controller-manager, scheduler and cloud-controller-manager rules.
func (e *evaluation) components() {
	for _, in := range e.inv.ControlPlane {
		for _, c := range cluster.Components[1:] {
			cv, ok := in.Components[c]
			if !ok {
				continue
			}
			subj := subject(c, in.Node)
			if cv.Parsed == nil {
				e.add(unparsable(subj, string(c), cv.Version))
				continue
			}
			if !e.ok || cv.Source == cluster.SourceKubelet {
				// Embedded components share the apiserver's binary: the HA rule covers them.
				continue
			}
			v := *cv.Parsed
			if v.MinorsAhead(e.amin) > 0 {
				e.add(Finding{
					ID: ComponentNewer, Severity: Error, Subject: subj,
					Rule:    fmt.Sprintf("%s must not be newer than the oldest kube-apiserver.", c),
					Message: fmt.Sprintf("%s %s is newer than kube-apiserver %s", c, v, e.amin),
					Fix:     fmt.Sprintf("upgrade every kube-apiserver to %s before %s", v.MinorString(), c),
				})
			}
			if behind := e.amax.MinorsAhead(v); behind > 1 {
				e.add(Finding{
					ID: ComponentTooOld, Severity: Error, Subject: subj,
					Rule:    fmt.Sprintf("%s may be at most one minor older than the newest kube-apiserver.", c),
					Message: fmt.Sprintf("%s %s is %d minors behind kube-apiserver %s", c, v, behind, e.amax),
					Fix:     fmt.Sprintf("upgrade %s on %s to %s", c, in.Node, e.amax.MinorString()),
				})
			}
		}
	}
}

func (e *evaluation) kubectl() {
	if e.inv.ClientVersion == "" || !e.ok {
		return
	}
	v, err := version.Parse(e.inv.ClientVersion)
	if err != nil {
		e.add(unparsable("kubectl", "kubectl", e.inv.ClientVersion))
		return
	}
	lo, hi := e.amax.MinorVersion().Add(-1), e.amin.MinorVersion().Add(1)
	if m := v.MinorVersion(); m.Compare(lo) < 0 || m.Compare(hi) > 0 {
		e.add(Finding{
			ID: KubectlSkew, Severity: Warning, Subject: "kubectl",
			Rule:    "kubectl must be within one minor of every kube-apiserver.",
			Message: fmt.Sprintf("kubectl %s is outside %s..%s, the minors supported by %s", v, lo, hi, e.apiserverRange()),
			Fix:     fmt.Sprintf("use a kubectl between %s and %s", lo, hi),
		})
	}
}

// target reports what stands between the cluster and a control plane at t.
func (e *evaluation) target(t version.Target) {
	if !e.ok {
		return
	}
	tm := t.MinorVersion()
	if t.Distro != version.Other && e.inv.Distro != version.Other && t.Distro != e.inv.Distro {
		e.add(Finding{
			ID: TargetWrongDistro, Severity: Error, Subject: "target",
			Rule:    "An upgrade target must be a release of the cluster's distribution.",
			Message: fmt.Sprintf("target %s is a %s release, the cluster runs %s", t.Version, t.Distro, e.inv.Distro),
			Fix:     fmt.Sprintf("pick a %s release of %s", e.inv.Distro, tm),
		})
	}
	downgrade := tm.Compare(e.amax.MinorVersion()) < 0 || (t.Exact && t.Compare(e.amax) < 0)
	if downgrade {
		e.add(Finding{
			ID: TargetDowngrade, Severity: Error, Subject: "target",
			Rule:    "Kubernetes does not support downgrades; the way back is an etcd snapshot.",
			Message: fmt.Sprintf("target %s is older than kube-apiserver %s", t.Version, e.amax),
			Fix:     fmt.Sprintf("pick a target at or above %s", e.amax),
		})
		return
	}
	if step := tm.Sub(e.amin.MinorVersion()); step > 1 {
		e.add(Finding{
			ID: TargetSkipsMinor, Severity: Error, Subject: "target",
			Rule:    "The control plane moves one minor at a time; no minor may be skipped.",
			Message: fmt.Sprintf("target %s is %d minors ahead of kube-apiserver %s", tm, step, e.amin),
			Fix:     fmt.Sprintf("upgrade the control plane to %s first, then on to %s, one minor per step (kubectl skew plan shows the path)", e.amin.MinorVersion().Add(1), tm),
		})
	}
	for i := range e.inv.Nodes {
		n := &e.inv.Nodes[i]
		if n.Kubelet == nil || n.Role.IsServer() {
			continue // servers move with the control plane
		}
		k := KubeletWindow(*n.Kubelet)
		if behind := tm.Sub(n.Kubelet.MinorVersion()); behind > k {
			e.add(Finding{
				ID: TargetKubeletOutOfSkew, Severity: Error, Subject: "node/" + n.Name,
				Rule:    fmt.Sprintf("Before the control plane moves to %s, every kubelet must be at least %s.", tm, tm.Add(-k)),
				Message: fmt.Sprintf("kubelet %s would be %d minors behind a control plane on %s (at most %d allowed)", n.Kubelet, behind, tm, k),
				Fix:     fmt.Sprintf("upgrade %s to %s before moving the control plane to %s", n.Name, tm.Add(-k), tm),
			})
		}
	}
}

// kubeletCatchUp says how a node gets from minor from to at least minor to: drained,
// and one minor at a time, as the K3s and RKE2 upgrade guides require.
func kubeletCatchUp(node string, from, to version.MinorVersion) string {
	if next := from.Add(1); next.Compare(to) >= 0 {
		return fmt.Sprintf("drain %s and upgrade it to %s", node, to)
	}
	return fmt.Sprintf("drain %s and upgrade it to at least %s, one minor at a time starting with %s", node, to, from.Add(1))
}

func unparsable(subj, what, raw string) Finding {
	msg := fmt.Sprintf("%s version %q cannot be read: its skew was not checked", what, raw)
	if raw == "" {
		msg = fmt.Sprintf("%s reports no version: its skew was not checked", what)
	}
	fix := fmt.Sprintf("check the %s image tag; a vX.Y.Z version is expected", what)
	switch what {
	case "kubelet":
		fix = fmt.Sprintf("check the kubelet on %s (status.nodeInfo.kubeletVersion); a vX.Y.Z version is expected", strings.TrimPrefix(subj, "node/"))
	case "kubectl":
		fix = "check the kubectl on PATH (kubectl version --client)"
	}
	return Finding{
		ID: UnparsableVersion, Severity: Warning, Subject: subj,
		Rule:    "Every version must be readable for its skew to be checked.",
		Message: msg,
		Fix:     fix,
	}
}

func subject(c cluster.Component, node string) string {
	if node == "" {
		return string(c)
	}
	return string(c) + "/" + node
}

func minorString(v version.Version) string { return v.MinorString() }

// apiserverRange names the apiserver version, or the range in HA mid-upgrade.
func (e *evaluation) apiserverRange() string {
	if e.amin.Compare(e.amax) == 0 {
		return "kube-apiserver " + e.amax.String()
	}
	return fmt.Sprintf("kube-apiservers %s to %s", e.amin, e.amax)
}
