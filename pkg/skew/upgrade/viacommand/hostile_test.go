package viacommand

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// hostile values: each creates CANARY if a shell ever reads it as shell text.
var hostile = []string{
	"$(touch CANARY)",
	"`touch CANARY`",
	"x; touch CANARY",
	"x\ntouch CANARY",
	"x' ; touch CANARY #",
	`x"; touch CANARY; "`,
	"${IFS:-$(touch CANARY)}",
	"| touch CANARY &",
}

// TestShellRunnerHostileNode runs ShellRunner, the way the command driver does,
// with the environment of a node whose name, hostname label, address, node-args
// and masked flag names are hostile, and a command that uses every variable the
// way a recipe would (quoted, unquoted, and eval "set -- $SKEW_INSTALL_EXEC"): no
// payload runs, and every value comes back exactly.
func TestShellRunnerHostileNode(t *testing.T) {
	for _, p := range hostile {
		dir := t.TempDir()
		canary := filepath.Join(dir, "pwned")
		p := strings.ReplaceAll(p, "CANARY", canary)
		args := []string{"server", "--node-label", "x=" + p, "--tls-san=" + p, p, "--token", "********", "--odd" + p + "=********"}
		raw, _ := json.Marshal(args)
		node := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: "n" + p, Labels: map[string]string{corev1.LabelHostname: "h" + p},
				Annotations: map[string]string{cluster.AnnotationK3sArgs: string(raw)}},
			Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.1" + p}}},
		}
		s := upgradepath.NodeStep{Name: node.Name, Role: cluster.RoleServer, From: version.MustParse("v1.30.14+k3s1")}
		env := commandEnv(node, s, version.K3s, version.MustParse("v1.31.13+k3s1"), 1)
		const command = `printf '<%s>' "$SKEW_NODE" "$SKEW_HOSTNAME" "$SKEW_INTERNAL_IP"; echo $SKEW_NODE $SKEW_HOSTNAME >/dev/null
eval "set -- $SKEW_INSTALL_EXEC"; printf '[%s]' "$@"
eval "set -- $SKEW_INSTALL_EXEC_MASKED"; printf '{%s}' "$@"`
		var out bytes.Buffer
		status, err := ShellRunner(context.Background(), command, env, &out)
		if err != nil || status != 0 {
			t.Fatalf("%q: status %d, %v: %s", p, status, err, out.String())
		}
		if _, err := os.Stat(canary); err == nil {
			t.Fatalf("%q: a node's value ran a command", p)
		}
		want := "<n" + p + "><h" + p + "><10.0.0.1" + p + ">" +
			"[server][--node-label][x=" + p + "][--tls-san=" + p + "][" + p + "]" +
			"{--token}{--odd" + p + "}"
		if out.String() != want {
			t.Errorf("the command got\n%q\nwant\n%q", out.String(), want)
		}
	}
}

// TestShellRunnerRefusesNUL: a NUL byte in a node's annotation cannot reach a
// process; the runner says which variable holds it instead of failing obscurely.
func TestShellRunnerRefusesNUL(t *testing.T) {
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1",
		Annotations: map[string]string{cluster.AnnotationK3sArgs: `["server","--tls-san","a\u0000b"]`}}}
	s := upgradepath.NodeStep{Name: "n1", Role: cluster.RoleServer, From: version.MustParse("v1.30.14+k3s1")}
	env := commandEnv(node, s, version.K3s, version.MustParse("v1.31.13+k3s1"), 1)
	status, err := ShellRunner(context.Background(), "true", env, &bytes.Buffer{})
	if err == nil || status != -1 || !strings.Contains(err.Error(), EnvInstallExec) || strings.ContainsAny(err.Error(), "\n\x00") {
		t.Errorf("got %d, %v; want one line naming %s", status, err, EnvInstallExec)
	}
}
