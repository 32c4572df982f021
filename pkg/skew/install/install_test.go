package install

import (
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

func node(name string, annotations map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
}

func TestNodeArgs(t *testing.T) {
	tests := []struct {
		name string
		node *corev1.Node
		d    version.Distro
		want []string
	}{
		{"k3s", node("n", map[string]string{cluster.AnnotationK3sArgs: `["server","--token","********","--cluster-init"]`}), version.K3s,
			[]string{"server", "--token", "********", "--cluster-init"}},
		{"rke2 reads its own annotation", node("n", map[string]string{cluster.AnnotationK3sArgs: `["agent"]`, cluster.AnnotationRKEArgs: `["server"]`}), version.RKE2,
			[]string{"server"}},
		{"other reads as k3s", node("n", map[string]string{cluster.AnnotationK3sArgs: `["agent"]`}), version.Other, []string{"agent"}},
		{"missing", node("n", nil), version.K3s, nil},
		{"not JSON", node("n", map[string]string{cluster.AnnotationK3sArgs: `server --token x`}), version.K3s, nil},
		{"an object", node("n", map[string]string{cluster.AnnotationK3sArgs: `{"a":"b"}`}), version.K3s, nil},
		{"numbers", node("n", map[string]string{cluster.AnnotationK3sArgs: `["server",1]`}), version.K3s, nil},
		{"null", node("n", map[string]string{cluster.AnnotationK3sArgs: `null`}), version.K3s, nil},
		{"shell in it is kept as text", node("n", map[string]string{cluster.AnnotationK3sArgs: `["server","--node-label=x=$(id)"]`}), version.K3s,
			[]string{"server", "--node-label=x=$(id)"}},
		{"nil node", nil, version.K3s, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := NodeArgs(tc.node, tc.d); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("NodeArgs = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExecArgs(t *testing.T) {
	tests := []struct {
		name         string
		args         []string
		kept, masked []string
	}{
		{"nothing masked", []string{"server", "--cluster-init", "--tls-san", "a.example"}, []string{"server", "--cluster-init", "--tls-san", "a.example"}, nil},
		{"pair as K3s writes it", []string{"server", "--token", Masked, "--disable", "traefik"}, []string{"server", "--disable", "traefik"}, []string{"--token"}},
		{"one element", []string{"agent", "--token=" + Masked, "--node-label=a=b"}, []string{"agent", "--node-label=a=b"}, []string{"--token"}},
		{"several, named once", []string{"server", "--token", Masked, "--agent-token", Masked, "--datastore-endpoint", Masked, "--token=" + Masked},
			[]string{"server"}, []string{"--token", "--agent-token", "--datastore-endpoint"}},
		{"short flag", []string{"agent", "-t", Masked}, []string{"agent"}, []string{"-t"}},
		{"a mask with no flag before it", []string{Masked, "server", "x", Masked}, []string{"server", "x"}, nil},
		{"the user's own asterisks stay", []string{"server", "--node-label=pw=a********"}, []string{"server", "--node-label=pw=a********"}, nil},
		{"empty", nil, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kept, masked := ExecArgs(tc.args)
			if !reflect.DeepEqual(kept, tc.kept) || !reflect.DeepEqual(masked, tc.masked) {
				t.Errorf("ExecArgs = %q, %q; want %q, %q", kept, masked, tc.kept, tc.masked)
			}
		})
	}
}

func TestFlagsAndDataDir(t *testing.T) {
	args := []string{"server", "--data-dir", "/srv/k3s", "--token=" + Masked, "--cluster-init"}
	if v := FlagValue(args, "--data-dir", "-d"); v != "/srv/k3s" {
		t.Errorf("FlagValue = %q", v)
	}
	if v := FlagValue(args, "--token"); v != Masked {
		t.Errorf("FlagValue(--token) = %q", v)
	}
	if v := FlagValue([]string{"server", "--data-dir"}, "--data-dir"); v != "" {
		t.Errorf("a flag without its value: %q", v)
	}
	if !HasFlag(args, "--cluster-init") || !HasFlag(args, "--token") || HasFlag(args, "--cluster") {
		t.Error("HasFlag")
	}
	for _, tc := range []struct {
		d    version.Distro
		args []string
		want string
	}{
		{version.K3s, args, "/srv/k3s"},
		{version.K3s, nil, "/var/lib/rancher/k3s"},
		{version.RKE2, []string{"server", "-d", Masked}, "/var/lib/rancher/rke2"},
	} {
		if got := DataDir(tc.d, tc.args); got != tc.want {
			t.Errorf("DataDir(%s, %q) = %q, want %q", tc.d, tc.args, got, tc.want)
		}
	}
}

func TestSecretVar(t *testing.T) {
	for _, tc := range []struct {
		d          version.Distro
		flag, want string
	}{
		{version.K3s, "--token", "K3S_TOKEN"},
		{version.K3s, "--agent-token", "K3S_AGENT_TOKEN"},
		{version.RKE2, "--datastore-endpoint", "RKE2_DATASTORE_ENDPOINT"},
		{version.K3s, "--x$(id);`y`", "K3S_X__ID___Y_"},
	} {
		if got := SecretVar(tc.d, tc.flag); got != tc.want {
			t.Errorf("SecretVar(%s, %q) = %q, want %q", tc.d, tc.flag, got, tc.want)
		}
	}
}

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"v1.33.5+k3s1": "v1.33.5+k3s1",
		"":             "''",
		"a b":          "'a b'",
		"it's":         `'it'\''s'`,
		"$(id)":        "'$(id)'",
		"a;b":          "'a;b'",
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

var (
	k3sV  = version.MustParse("v1.33.5+k3s1")
	rke2V = version.MustParse("v1.33.5+rke2r1")
)

func TestScriptAndUpgradeCommand(t *testing.T) {
	const envLine = "if [ -f /etc/systemd/system/k3s.service.env ]; then set -a; . /etc/systemd/system/k3s.service.env; set +a; fi"
	tests := []struct {
		name         string
		d            version.Distro
		v            version.Version
		server       bool
		args         []string
		script, upgr []string
		vars         []string
	}{
		{"k3s server, token masked", version.K3s, k3sV, true, []string{"server", "--token", Masked, "--cluster-init"},
			[]string{envLine, `curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.5+k3s1 INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC="server --token ${K3S_TOKEN:?export K3S_TOKEN first, the cluster keeps it masked} --cluster-init" sh -`},
			[]string{envLine, `curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.5+k3s1 sh -s - server --token "${K3S_TOKEN:?export K3S_TOKEN first, the cluster keeps it masked}" --cluster-init`},
			[]string{"K3S_TOKEN"}},
		{"k3s agent without node-args says its role", version.K3s, k3sV, false, nil,
			[]string{"if [ -f /etc/systemd/system/k3s-agent.service.env ]; then set -a; . /etc/systemd/system/k3s-agent.service.env; set +a; fi",
				`curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.5+k3s1 INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC="agent" sh -`},
			[]string{"if [ -f /etc/systemd/system/k3s-agent.service.env ]; then set -a; . /etc/systemd/system/k3s-agent.service.env; set +a; fi",
				`curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.5+k3s1 sh -s - agent`},
			nil},
		{"k3s args with shell, blanks and quotes in them", version.K3s, k3sV, false, []string{"agent", "--node-label=x=$(id)", "--node-taint=`id`", "--kubelet-arg=a b'c"},
			[]string{"if [ -f /etc/systemd/system/k3s-agent.service.env ]; then set -a; . /etc/systemd/system/k3s-agent.service.env; set +a; fi",
				"curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.5+k3s1 INSTALL_K3S_SKIP_START=true INSTALL_K3S_EXEC=\"agent --node-label=x=\\$(id) --node-taint=\\`id\\` --kubelet-arg=a b'c\" sh -"},
			[]string{"if [ -f /etc/systemd/system/k3s-agent.service.env ]; then set -a; . /etc/systemd/system/k3s-agent.service.env; set +a; fi",
				`curl -sfL https://get.k3s.io | INSTALL_K3S_VERSION=v1.33.5+k3s1 sh -s - agent '--node-label=x=$(id)' '--node-taint=` + "`id`" + `' '--kubelet-arg=a b'\''c'`},
			nil},
		{"rke2 server", version.RKE2, rke2V, true, []string{"server", "--token", Masked},
			[]string{"curl -sfL https://get.rke2.io | INSTALL_RKE2_VERSION=v1.33.5+rke2r1 INSTALL_RKE2_TYPE=server sh -"},
			[]string{"curl -sfL https://get.rke2.io | INSTALL_RKE2_VERSION=v1.33.5+rke2r1 INSTALL_RKE2_TYPE=server sh -", "systemctl restart rke2-server"},
			nil},
		{"rke2 agent", version.RKE2, rke2V, false, nil,
			[]string{"curl -sfL https://get.rke2.io | INSTALL_RKE2_VERSION=v1.33.5+rke2r1 INSTALL_RKE2_TYPE=agent sh -"},
			[]string{"curl -sfL https://get.rke2.io | INSTALL_RKE2_VERSION=v1.33.5+rke2r1 INSTALL_RKE2_TYPE=agent sh -", "systemctl restart rke2-agent"},
			nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			script, vars := ScriptCommand(tc.d, tc.v, tc.server, tc.args)
			upgr, uvars := UpgradeCommand(tc.d, tc.v, tc.server, tc.args)
			if tc.script != nil && !reflect.DeepEqual(script, tc.script) {
				t.Errorf("ScriptCommand =\n%s\nwant\n%s", strings.Join(script, "\n"), strings.Join(tc.script, "\n"))
			}
			if tc.upgr != nil && !reflect.DeepEqual(upgr, tc.upgr) {
				t.Errorf("UpgradeCommand =\n%s\nwant\n%s", strings.Join(upgr, "\n"), strings.Join(tc.upgr, "\n"))
			}
			if !reflect.DeepEqual(vars, tc.vars) || !reflect.DeepEqual(uvars, tc.vars) {
				t.Errorf("vars = %q and %q, want %q", vars, uvars, tc.vars)
			}
			assertInert(t, "ScriptCommand", script)
			assertInert(t, "UpgradeCommand", upgr)
			bashParses(t, "ScriptCommand", script)
			bashParses(t, "UpgradeCommand", upgr)
		})
	}
}

// TestHostileValuesAreInert: whatever a node's name, hostname or node-args hold,
// the lines this package writes run none of it.
func TestHostileValuesAreInert(t *testing.T) {
	for _, p := range payloads {
		args := []string{"server", p, "--node-label=" + p, "--token", Masked, p + "=" + Masked}
		for _, d := range []version.Distro{version.K3s, version.RKE2} {
			v := k3sV
			if d == version.RKE2 {
				v = rke2V
			}
			for _, server := range []bool{true, false} {
				s, _ := ScriptCommand(d, v, server, args)
				u, _ := UpgradeCommand(d, v, server, args)
				line, _ := ShellArgs(d, args)
				for what, lines := range map[string][]string{"ScriptCommand": s, "UpgradeCommand": u, "ShellArgs": {"k3s server " + line},
					"NixOSSteps": NixOSSteps(d, v, p, p), "NixOSSteps without hostname": NixOSSteps(d, v, p, ""),
					"AirgapSteps": AirgapSteps(d, v, server, p)} {
					assertInert(t, what+" "+p, lines)
					bashParses(t, what+" "+p, lines)
				}
			}
		}
		kept, _ := ExecArgs(args)
		assertInert(t, "ShellWords "+p, []string{"set -- " + ShellWords(kept)})
	}
}
