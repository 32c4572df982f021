package viacommand

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgrade"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// instruct tells the operator which node to upgrade now and how, for the way the
// node looks installed: the install script (with the node's own arguments) and the
// airgap artifacts, or the nixpkgs attribute of the hop's minor on NixOS. The run
// then waits for the node to report the release: no key press is needed.
func (d *Driver) instruct(step *upgrade.Step, s upgradepath.NodeStep, raw *corev1.Node) {
	to, server := step.Hop.To, s.Role.IsServer()
	guess := install.Method(raw)
	lines := []string{fmt.Sprintf("\nNEXT NODE: %s (%s, %s -> %s, %s). It is cordoned%s; upgrade it now, as root on the host, one of these ways (%s):",
		s.Name, s.Role, s.From, to, step.HopLabel(), drained(d.Drain != nil), guess.Why)}
	add := func(title string, steps []string) {
		lines = append(lines, "  "+title+":")
		for _, l := range steps {
			lines = append(lines, "    "+l)
		}
	}
	switch guess.Kind {
	case install.NixOS:
		add("NixOS", install.NixOSSteps(d.distro, to, s.Name, hostname(raw, s)))
	case install.Unknown:
		lines = append(lines, "  (no steps known for this host: follow the distribution's own upgrade documentation)")
	default:
		cmd, vars := install.UpgradeCommand(d.distro, to, server, install.NodeArgs(raw, d.distro))
		if len(vars) > 0 {
			cmd = append([]string{"# the cluster keeps these masked: export " + strings.Join(vars, ", ") + " from the host's own configuration first"}, cmd...)
		}
		add("install script", cmd)
		arch := ""
		if raw != nil {
			arch = raw.Status.NodeInfo.Architecture
		}
		add("airgap", install.AirgapSteps(d.distro, to, server, arch))
	}
	lines = append(lines, fmt.Sprintf("  kubectl skew waits until %s reports %s and is back, then uncordons it and names the next node.", s.Name, to))
	if d.cfg.Emit != nil {
		for _, l := range lines {
			d.cfg.Emit(upgrade.Event{Kind: upgrade.EventNote, Step: step, Message: l})
		}
	}
}

func drained(yes bool) string {
	if yes {
		return " and drained"
	}
	return ""
}
