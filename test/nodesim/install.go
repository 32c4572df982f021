package nodesim

import (
	"context"
	"encoding/json"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// An install is what the operator's own command does to a node under
// `kubectl skew upgrade --driver command` (ssh and the install script, an Ansible
// play, ...): the K3s install script downloads the release, replaces the binary and
// runs `systemctl restart k3s` (or k3s-agent); for RKE2 the documented manual
// upgrade is the install script, then `systemctl restart rke2-server` (or
// rke2-agent). Either way the service restarts and the node comes back on the new
// release, which restart plays exactly as after an SUC Job. Nothing else is done
// to the node: no cordon, drain or uncordon (the driver does those itself).
const (
	// AnnotationInstall on a Node requests an install of that exact release
	// (v1.33.5+k3s1, v1.33.5+rke2r1): test/cmd/nodesim-install writes it.
	AnnotationInstall = "nodesim.kubectl-skew.io/install"
	// AnnotationInstallID makes a request distinct from an earlier one of the same
	// release on the same node (a second run of the command); any string.
	AnnotationInstallID = "nodesim.kubectl-skew.io/install-id"
	// AnnotationInstallDone is written by the simulator once it took a request:
	// "<request> <outcome>", request as InstallRequest spells it. It is written after
	// the node went NotReady, so a command that waits for it returns, as the real
	// script does, once the service was restarted. It also keeps a restarted
	// simulator from playing the same request twice.
	AnnotationInstallDone = "nodesim.kubectl-skew.io/install-done"

	// InstallRestarted: the binary was replaced and the service restarted (the
	// node is NotReady, then comes back as its come-back annotation says).
	InstallRestarted = "restarted"
	// InstallUnchanged: the K3s node already ran that release. The install script
	// finds the binary, unit and env files unchanged, says "No change detected so
	// skipping service start" and does not restart the service.
	InstallUnchanged = "unchanged"

	// EventInstallRequested: the simulator took an install request; then come
	// EventNodeDown, EventNodeUpgraded and EventPodsMoved as after a Job.
	EventInstallRequested = "install-requested"
)

// InstallRequest names one request: the release and, when there is one, its id.
func InstallRequest(version, id string) string {
	if id == "" {
		return version
	}
	return version + "/" + id
}

// ParseInstallDone splits an AnnotationInstallDone value into its request and outcome.
func ParseInstallDone(value string) (request, outcome string) {
	i := strings.LastIndex(value, " ")
	if i < 0 {
		return value, ""
	}
	return value[:i], value[i+1:]
}

// considerInstall plays a node's install request once. The key carries the node's
// UID, so a node of the same name in a later scenario is a new node.
func (s *Simulator) considerInstall(ctx context.Context, n *corev1.Node) {
	version := n.Annotations[AnnotationInstall]
	if version == "" {
		return
	}
	req := InstallRequest(version, n.Annotations[AnnotationInstallID])
	if done, _ := ParseInstallDone(n.Annotations[AnnotationInstallDone]); done == req {
		return // taken before (by this simulator, or one that ran before it)
	}
	name, running := n.Name, n.Status.NodeInfo.KubeletVersion
	s.async(ctx, "install/"+string(n.UID)+"/"+req, func() { s.install(ctx, name, running, version, req) })
}

// install plays one request: a release of another distribution is refused (the
// real script would install a second, unrelated service); the K3s release the node
// already runs changes nothing; anything else restarts the node onto version.
func (s *Simulator) install(ctx context.Context, node, running, version, req string) {
	ev := Event{Node: node, From: running, Version: version}
	distro := ReleaseDistro(version)
	switch {
	case distro == "":
		s.errorf(ev, "install %q: not a K3s or RKE2 release", version)
		return
	case distro != ReleaseDistro(running):
		s.errorf(ev, "install %s: the node runs %s, another distribution", version, running)
		return
	case distro == "k3s" && running == version:
		// RKE2's install script never restarts the service: the operator's command
		// does, whatever changed, so only K3s skips the restart.
		s.emit(ev, EventInstallRequested, "request "+req+": "+version+" is installed already, no change detected: the service is not restarted")
		s.ackInstall(ctx, ev, req, InstallUnchanged)
		return
	}
	s.emit(ev, EventInstallRequested, "request "+req)
	s.restart(ctx, ev, func() { s.ackInstall(ctx, ev, req, InstallRestarted) })
}

// ackInstall records that the request was taken, with its outcome.
func (s *Simulator) ackInstall(ctx context.Context, ev Event, req, outcome string) {
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]string{
		AnnotationInstallDone: req + " " + outcome,
	}}})
	if err == nil {
		_, err = s.kube.CoreV1().Nodes().Patch(ctx, ev.Node, types.MergePatchType, patch, metav1.PatchOptions{})
	}
	if err != nil {
		s.errorf(ev, "install: record request %s as %s: %v", req, outcome, err)
	}
}
