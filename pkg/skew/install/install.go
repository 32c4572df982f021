// Package install is the one place that knows how K3s and RKE2 are installed on a
// host: the install scripts and their variables, the node-args annotation and its
// masked secrets, the airgap artifacts of a release, and NixOS, where the package
// comes from nixpkgs. It builds command lines and steps as text for a person or a
// script to run; it runs nothing and prints nothing.
//
// Every value that comes from the cluster (node names, hostnames, node-args) goes
// through Quote before it reaches a shell line, so that `$(...)`, backquotes and `;`
// in it stay inert.
package install

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Spec is what differs between K3s and RKE2 on a host.
type Spec struct {
	// Bin is the binary and the prefix of its files: k3s or rke2.
	Bin string
	// ServerUnit and AgentUnit are the systemd units the install scripts create.
	ServerUnit, AgentUnit string
	// Installer is the install script's URL.
	Installer string
	// VersionVar is the install script's variable for an exact release.
	VersionVar string
	// ArgsAnnotation is the node annotation holding the service's arguments.
	ArgsAnnotation string
}

// SpecOf is the host-side spec of the distro; anything but RKE2 reads as K3s.
func SpecOf(d version.Distro) Spec {
	if d == version.RKE2 {
		return Spec{Bin: "rke2", ServerUnit: "rke2-server", AgentUnit: "rke2-agent", Installer: "https://get.rke2.io",
			VersionVar: "INSTALL_RKE2_VERSION", ArgsAnnotation: cluster.AnnotationRKEArgs}
	}
	return Spec{Bin: "k3s", ServerUnit: "k3s", AgentUnit: "k3s-agent", Installer: "https://get.k3s.io",
		VersionVar: "INSTALL_K3S_VERSION", ArgsAnnotation: cluster.AnnotationK3sArgs}
}

// Unit is the systemd unit of the role.
func (s Spec) Unit(server bool) string {
	if server {
		return s.ServerUnit
	}
	return s.AgentUnit
}

// Masked is what K3s and RKE2 write in node-args instead of a secret value (the
// value after --token, --agent-token, --datastore-endpoint and the like).
const Masked = "********"

// NodeArgs reads the node's node-args annotation: the server or agent command line
// its service runs, secrets masked. K3s writes it as a JSON array with every
// "--flag=value" split into "--flag", "value", and includes what the config file
// sets. A missing or broken annotation gives nil: the value is the node's to write,
// so nothing in it is trusted beyond being a list of strings.
func NodeArgs(node *corev1.Node, d version.Distro) []string {
	if node == nil {
		return nil
	}
	var args []string
	if err := json.Unmarshal([]byte(node.Annotations[SpecOf(d).ArgsAnnotation]), &args); err != nil {
		return nil
	}
	return args
}

// ExecArgs is the node's own arguments with the masked secrets left out, and the
// flags whose values were masked: a "--flag=********" element, or a "--flag",
// "********" pair, is dropped whole, since a flag without its value would take the
// next argument as one. A mask with no flag before it is dropped too. The values of
// the named flags are the host's to supply (its environment file, its config file).
func ExecArgs(args []string) (kept []string, masked []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if name, ok := strings.CutSuffix(a, "="+Masked); ok {
			masked = appendOnce(masked, name)
			continue
		}
		if a == Masked {
			continue // a mask whose flag is not before it: nothing to name
		}
		if i+1 < len(args) && args[i+1] == Masked && strings.HasPrefix(a, "-") {
			masked = appendOnce(masked, a)
			i++
			continue
		}
		kept = append(kept, a)
	}
	return kept, masked
}

func appendOnce(l []string, s string) []string {
	if slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}

// ShellWords renders args as words of a POSIX shell line, each quoted where it
// needs to be: a shell that reads the result gets exactly args back and expands
// nothing in them.
func ShellWords(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = Quote(a)
	}
	return strings.Join(out, " ")
}

// FlagValue is the value of --name (or an alias) in args, as --name=v or --name v.
func FlagValue(args []string, names ...string) string {
	for i, a := range args {
		for _, n := range names {
			if v, ok := strings.CutPrefix(a, n+"="); ok {
				return v
			}
			if a == n && i+1 < len(args) {
				return args[i+1]
			}
		}
	}
	return ""
}

// HasFlag reports whether --name appears in args, with or without a value.
func HasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// DataDir is the node's --data-dir, else the distro's default.
func DataDir(d version.Distro, args []string) string {
	if v := FlagValue(args, "--data-dir", "-d"); v != "" && v != Masked {
		return v
	}
	return "/var/lib/rancher/" + SpecOf(d).Bin
}

// SecretVar is the shell variable that stands for a masked value of flag: the
// distro's own environment name for it (K3S_TOKEN for --token), so that the value
// the service's environment file already holds can be reused.
func SecretVar(d version.Distro, flag string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_' // a shell variable name has nothing else
	}, strings.TrimLeft(flag, "-"))
	return strings.ToUpper(SpecOf(d).Bin) + "_" + name
}

// ShellArgs renders args for a shell command line: masked values become a required
// variable (the shell stops with its name when it is unset), the rest are quoted.
// It returns the variables needed.
func ShellArgs(d version.Distro, args []string) (string, []string) {
	return render(d, args, Quote, func(v string) string { return `"` + required(v) + `"` })
}

// execValue renders args as one double-quoted word, for INSTALL_K3S_EXEC (which the
// install script splits on blanks), masked values as required variables.
func execValue(d version.Distro, args []string) (string, []string) {
	s, vars := render(d, args, func(a string) string {
		return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(a)
	}, required)
	return `"` + s + `"`, vars
}

func required(v string) string {
	return "${" + v + ":?export " + v + " first, the cluster keeps it masked}"
}

func render(d version.Distro, args []string, plain, secret func(string) string) (string, []string) {
	var out, vars []string
	for i, a := range args {
		name, isMasked := strings.CutSuffix(a, "="+Masked)
		switch {
		case isMasked:
			// The flag's name is the node's to write too: it is rendered as any
			// other text, only the masked value becomes a variable.
			v := SecretVar(d, name)
			vars = append(vars, v)
			out = append(out, plain(name)+"="+secret(v))
		case a == Masked && i > 0:
			v := SecretVar(d, args[i-1])
			vars = append(vars, v)
			out = append(out, secret(v))
		default:
			out = append(out, plain(a))
		}
	}
	return strings.Join(out, " "), vars
}

// Quote single-quotes s for a POSIX shell when it holds anything but safe
// characters; inside single quotes nothing is expanded.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ScriptCommand is the lines that install v on a host of the role with the install
// script, without starting it, and the variables the operator must export first
// (masked secrets). K3s's script rewrites the unit from INSTALL_K3S_EXEC and the
// environment file from the K3S_* variables it sees, so the node's own arguments
// go back in and the old environment file is read first. RKE2's script only
// installs the binaries; its options live in /etc/rancher/rke2/config.yaml, which
// it does not touch. The rollback runbook runs these, then starts the service.
func ScriptCommand(d version.Distro, v version.Version, server bool, args []string) ([]string, []string) {
	s := SpecOf(d)
	if d == version.RKE2 {
		return []string{fmt.Sprintf("curl -sfL %s | %s=%s INSTALL_RKE2_TYPE=%s sh -", s.Installer, s.VersionVar, Quote(v.String()), role(server))}, nil
	}
	if len(args) == 0 {
		// No node-args: say the role, or the script would guess it from K3S_URL.
		args = []string{role(server)}
	}
	exec, vars := execValue(d, args)
	return []string{
		envLine(s, server),
		fmt.Sprintf("curl -sfL %s | %s=%s INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC=%s sh -", s.Installer, s.VersionVar, Quote(v.String()), exec),
	}, vars
}

// UpgradeCommand is the lines that upgrade a host of the role to v with the install
// script and leave the service running it, and the variables to export first.
// K3s's script restarts the service itself unless told INSTALL_K3S_SKIP_START, once
// the binary, unit or environment file changed (an upgrade changes the binary). The
// node's own arguments go after "sh -s -" rather than in INSTALL_K3S_EXEC: the
// script quotes trailing arguments one by one, while it splits INSTALL_K3S_EXEC on
// blanks, so an argument with a space or a quote only survives the former. RKE2's
// script starts nothing, and RKE2's manual upgrade restarts the service after it.
func UpgradeCommand(d version.Distro, v version.Version, server bool, args []string) ([]string, []string) {
	s := SpecOf(d)
	if d == version.RKE2 {
		lines, vars := ScriptCommand(d, v, server, args)
		return append(lines, "systemctl restart "+s.Unit(server)), vars
	}
	if len(args) == 0 {
		args = []string{role(server)}
	}
	words, vars := ShellArgs(d, args)
	return []string{
		envLine(s, server),
		fmt.Sprintf("curl -sfL %s | %s=%s sh -s - %s", s.Installer, s.VersionVar, Quote(v.String()), words),
	}, vars
}

// envLine exports what the service's environment file holds (K3S_TOKEN, K3S_URL,
// proxies), which the install script writes back from its own environment.
func envLine(s Spec, server bool) string {
	return fmt.Sprintf("if [ -f %[1]s ]; then set -a; . %[1]s; set +a; fi", "/etc/systemd/system/"+s.Unit(server)+".service.env")
}

func role(server bool) string {
	if server {
		return "server"
	}
	return "agent"
}
