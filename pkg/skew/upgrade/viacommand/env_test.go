package viacommand

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestCommandEnv: a node's facts reach the command only as values; what the cluster
// controls (node-args with shell metacharacters, masked secrets) stays inert when
// the command expands the variables, and a masked secret is left out and named.
func TestCommandEnv(t *testing.T) {
	dir := t.TempDir()
	canary := filepath.Join(dir, "pwned")
	raw := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "s1", Labels: map[string]string{corev1.LabelHostname: "s1.lab"},
			Annotations: map[string]string{cluster.AnnotationK3sArgs: `["server","--node-label","x=$(touch ` + canary + `)","--token","********","--tls-san=a b"]`}},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.0.5"}}},
	}
	s := upgradepath.NodeStep{Name: "s1", Role: cluster.RoleServer, From: version.MustParse("v1.30.14+k3s1")}
	env := commandEnv(raw, s, version.K3s, version.MustParse("v1.31.13+k3s1"), 2)
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		got[k] = v
	}
	for k, want := range map[string]string{EnvNode: "s1", EnvHostname: "s1.lab", EnvInternalIP: "10.0.0.5", EnvRole: "server", EnvDistro: "k3s",
		EnvVersion: "v1.31.13+k3s1", EnvFromVersion: "v1.30.14+k3s1", EnvHop: "2", EnvMasked: "--token"} {
		if got[k] != want {
			t.Errorf("%s = %q, want %q", k, got[k], want)
		}
	}
	// The operator's command expands the variable on its side, as a recipe does:
	// the words come back one by one and nothing runs.
	cmd := exec.Command("/bin/sh", "-c", `eval "set -- $SKEW_INSTALL_EXEC"; for a in "$@"; do printf '%s\n' "$a"; done`)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "server\n--node-label\nx=$(touch " + canary + ")\n--tls-san=a b\n"
	if string(out) != want {
		t.Errorf("SKEW_INSTALL_EXEC gives back\n%q\nwant\n%q", out, want)
	}
	if _, err := exec.Command("test", "-e", canary).Output(); err == nil {
		t.Errorf("a node-args value ran a command")
	}
}
