package plugin

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

func TestVersion(t *testing.T) {
	sc := fakeCluster{serverVersion: "v1.32.2"}
	r := run(t, sc, "version")
	if r.code != cmdutil.ExitOK || !strings.HasPrefix(r.stdout, "kubectl-skew v0.0.0-dev (commit unknown") || strings.Contains(r.stdout, "Server") {
		t.Errorf("client only by default: exit %d, %q", r.code, r.stdout)
	}
	r = run(t, sc, "version", "--client=false")
	if r.code != cmdutil.ExitOK || !strings.Contains(r.stdout, "Server: v1.32.2") {
		t.Errorf("--client=false adds the server: exit %d, %q", r.code, r.stdout)
	}
	r = run(t, sc, "version", "--client=false", "-o", "json")
	var v struct {
		Kind   string `json:"kind"`
		Client struct{ Version string }
		Server struct{ GitVersion string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || v.Kind != "VersionInfo" || v.Server.GitVersion != "v1.32.2" {
		t.Errorf("json %q: %v", r.stdout, err)
	}
	if r := run(t, sc, "version", "-o", "wide"); r.code != cmdutil.ExitError || !strings.Contains(r.stderr, `unknown output format "wide"`) {
		t.Errorf("version has no wide output: %d %q", r.code, r.stderr)
	}
}

func TestCompletion(t *testing.T) {
	for shell, want := range map[string]string{
		"bash":       "__start_kubectl-skew",
		"zsh":        "#compdef kubectl-skew",
		"fish":       "complete -c kubectl-skew",
		"powershell": "Register-ArgumentCompleter",
	} {
		r := run(t, fakeCluster{}, "completion", shell)
		if r.code != cmdutil.ExitOK || !strings.Contains(r.stdout, want) {
			t.Errorf("%s: exit %d, output lacks %q", shell, r.code, want)
		}
	}
	if r := run(t, fakeCluster{}, "completion", "tcsh"); r.code != cmdutil.ExitError || !strings.Contains(r.stderr, `invalid argument "tcsh"`) {
		t.Errorf("unknown shell: %d %q", r.code, r.stderr)
	}
	// kubectl's plugin completion calls the hidden __complete command.
	r := run(t, fakeCluster{}, "__complete", "check", "--fail-on", "")
	if !strings.Contains(r.stdout, "warning") {
		t.Errorf("--fail-on completes its values: %q", r.stdout)
	}
}

func TestHelpShowsKubectlSkew(t *testing.T) {
	r := run(t, fakeCluster{}, "check", "--help")
	if !strings.Contains(r.stdout, "kubectl skew check [flags]") || !strings.Contains(r.stdout, "--kubeconfig") {
		t.Errorf("help must read as a kubectl plugin:\n%s", r.stdout)
	}
}

func TestNoColor(t *testing.T) {
	env := &cmdutil.Env{Getenv: func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}}
	if env.UseColor(nil) {
		t.Error("NO_COLOR disables colour")
	}
	env.Getenv = func(string) string { return "" }
	if env.UseColor(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}
