package viacommand

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// The variables the operator's command gets, and the only way a node's facts reach
// it: nothing the cluster controls is ever put into the command line, so a node
// name or label full of shell metacharacters stays a value.
const (
	EnvNode        = "SKEW_NODE"
	EnvHostname    = "SKEW_HOSTNAME"
	EnvInternalIP  = "SKEW_INTERNAL_IP"
	EnvRole        = "SKEW_ROLE"
	EnvDistro      = "SKEW_DISTRO"
	EnvVersion     = "SKEW_VERSION"
	EnvFromVersion = "SKEW_FROM_VERSION"
	EnvHop         = "SKEW_HOP"
	// EnvInstallExec is the node's own arguments (node-args), each quoted for a
	// POSIX shell: `sh -s - $SKEW_INSTALL_EXEC` on the host gets them back exactly.
	EnvInstallExec = "SKEW_INSTALL_EXEC"
	// EnvMasked names the flags of the node's arguments whose values the cluster
	// keeps masked, left out of SKEW_INSTALL_EXEC: the command must take them from
	// the host (K3s and RKE2 keep them in the service's environment or config file).
	// They are quoted like SKEW_INSTALL_EXEC: the node writes their names.
	EnvMasked = "SKEW_INSTALL_EXEC_MASKED"
)

// commandEnv is the environment for the move of s (raw: its Node object) to `to`,
// in hop number hop.
func commandEnv(raw *corev1.Node, s upgradepath.NodeStep, d version.Distro, to version.Version, hop int) []string {
	kept, masked := install.ExecArgs(install.NodeArgs(raw, d))
	return []string{
		EnvNode + "=" + s.Name,
		EnvHostname + "=" + hostname(raw, s),
		EnvInternalIP + "=" + internalIP(raw),
		EnvRole + "=" + string(s.Role),
		EnvDistro + "=" + string(d),
		EnvVersion + "=" + to.String(),
		EnvFromVersion + "=" + s.From.String(),
		EnvHop + "=" + strconv.Itoa(hop),
		EnvInstallExec + "=" + install.ShellWords(kept),
		EnvMasked + "=" + install.ShellWords(masked),
	}
}

func hostname(raw *corev1.Node, s upgradepath.NodeStep) string {
	if s.Hostname != "" {
		return s.Hostname
	}
	if raw != nil {
		if h := raw.Labels[corev1.LabelHostname]; h != "" {
			return h
		}
	}
	return s.Name
}

func internalIP(raw *corev1.Node) string {
	if raw == nil {
		return ""
	}
	for _, a := range raw.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}
