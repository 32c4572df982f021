package rollback

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// distro is what differs between K3s and RKE2 on a host (docs/upgrade.md).
type distro struct {
	bin, server, agent, installer, versionVar string
	argsAnnotation                            string
}

func distroOf(d version.Distro) distro {
	if d == version.RKE2 {
		return distro{bin: "rke2", server: "rke2-server", agent: "rke2-agent", installer: "https://get.rke2.io",
			versionVar: "INSTALL_RKE2_VERSION", argsAnnotation: cluster.AnnotationRKEArgs}
	}
	return distro{bin: "k3s", server: "k3s", agent: "k3s-agent", installer: "https://get.k3s.io",
		versionVar: "INSTALL_K3S_VERSION", argsAnnotation: cluster.AnnotationK3sArgs}
}

// unit is the systemd unit of the role.
func (d distro) unit(server bool) string {
	if server {
		return d.server
	}
	return d.agent
}

// masked is how K3s and RKE2 hide secret values in node-args.
const masked = "********"

// nodeArgs reads the node-args annotation: the server or agent command line the
// service runs, with secrets masked. A missing or broken annotation gives nil.
func nodeArgs(n *corev1.Node, d distro) []string {
	var args []string
	if err := json.Unmarshal([]byte(n.Annotations[d.argsAnnotation]), &args); err != nil {
		return nil
	}
	return args
}

// flagValue is the value of --name (or its alias) in args, as --name=v or --name v.
func flagValue(args []string, names ...string) string {
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

// hasFlag reports whether --name appears in args, with or without a value.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// secretVar is the shell variable that stands for a masked value of flag: the
// distro's own environment name for it (K3S_TOKEN for --token), so that the value
// the service's environment file already holds can be reused.
func secretVar(d distro, flag string) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_' // a shell variable name has nothing else
	}, strings.TrimLeft(flag, "-"))
	return strings.ToUpper(d.bin) + "_" + name
}

// shellArgs renders args for a shell command line: masked values become a
// required variable (the shell stops with its name when it is unset), the rest
// are quoted. It returns the variables needed.
func shellArgs(d distro, args []string) (string, []string) {
	return render(d, args, quote, func(v string) string { return `"` + required(v) + `"` })
}

// execValue renders args as one double-quoted word, for INSTALL_K3S_EXEC (which
// the install script splits on blanks), masked values as required variables.
func execValue(d distro, args []string) (string, []string) {
	s, vars := render(d, args, func(a string) string {
		return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(a)
	}, required)
	return `"` + s + `"`, vars
}

func required(v string) string {
	return "${" + v + ":?export " + v + " first, the cluster keeps it masked}"
}

func render(d distro, args []string, plain, secret func(string) string) (string, []string) {
	var out, vars []string
	for i, a := range args {
		name, isMasked := strings.CutSuffix(a, "="+masked)
		switch {
		case isMasked:
			v := secretVar(d, name)
			vars = append(vars, v)
			out = append(out, name+"="+secret(v))
		case a == masked && i > 0:
			v := secretVar(d, args[i-1])
			vars = append(vars, v)
			out = append(out, secret(v))
		default:
			out = append(out, plain(a))
		}
	}
	return strings.Join(out, " "), vars
}

// quote single-quotes s for a POSIX shell when it holds anything but safe characters.
func quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=+,@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// install is the command that installs v on a host of the role without starting
// it. K3s's script rewrites the unit from INSTALL_K3S_EXEC and the environment file
// from the K3S_* variables it sees, so the node's own arguments go back in and the
// old environment file is read first. RKE2's script only installs the binaries;
// its options live in /etc/rancher/rke2/config.yaml, which it does not touch.
func install(d distro, v version.Version, server bool, args []string) ([]string, []string) {
	if d.bin == "rke2" {
		typ := "agent"
		if server {
			typ = "server"
		}
		return []string{fmt.Sprintf("curl -sfL %s | %s=%s INSTALL_RKE2_TYPE=%s sh -", d.installer, d.versionVar, quote(v.String()), typ)}, nil
	}
	env := "/etc/systemd/system/" + d.unit(server) + ".service.env"
	if len(args) == 0 {
		// No node-args: say the role, or the script would guess it from K3S_URL.
		args = []string{"agent"}
		if server {
			args = []string{"server"}
		}
	}
	exec, vars := execValue(d, args)
	return []string{
		fmt.Sprintf("if [ -f %[1]s ]; then set -a; . %[1]s; set +a; fi", env),
		fmt.Sprintf("curl -sfL %s | %s=%s INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC=%s sh -", d.installer, d.versionVar, quote(v.String()), exec),
	}, vars
}

// dataDir is the node's --data-dir, else the distro's default.
func dataDir(d distro, args []string) string {
	if v := flagValue(args, "--data-dir", "-d"); v != "" && v != masked {
		return v
	}
	return "/var/lib/rancher/" + d.bin
}
