package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// TestCommandsRunHostileValuesInert runs the lines this package writes (the
// install script's upgrade and install commands, the NixOS steps, the airgap
// steps) with bash, with hostile node-args and hostnames, the programs they call
// replaced by stubs: curl hands over a stand-in install script that records the
// arguments and INSTALL_K3S_EXEC it gets. No payload runs, and the install script
// gets the node's arguments back exactly.
func TestCommandsRunHostileValuesInert(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	v := version.MustParse("v1.31.13+k3s1")
	for _, p := range payloads {
		dir := t.TempDir()
		canary := filepath.Join(dir, "pwned")
		p = strings.ReplaceAll(p, "CANARY", canary)
		args := []string{"server", "--node-label", "x=" + p, "--tls-san=" + p, p, "--token", Masked}
		stubs, argsLog, execLog := filepath.Join(dir, "bin"), filepath.Join(dir, "args"), filepath.Join(dir, "exec")
		if err := os.MkdirAll(stubs, 0o755); err != nil {
			t.Fatal(err)
		}
		// The stand-in install script, as curl would print it.
		script := "printf '%s\\0' \"$@\" >" + Quote(argsLog) + "; printf '%s' \"$INSTALL_K3S_EXEC\" >" + Quote(execLog)
		if err := os.WriteFile(filepath.Join(dir, "installer"), []byte(script+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		stub := map[string]string{"curl": "#!/bin/sh\ncat " + Quote(filepath.Join(dir, "installer")) + "\n"}
		for _, name := range []string{"systemctl", "nix", "nixos-rebuild", "sha256sum", "mkdir", "rm", "install", "tar"} {
			stub[name] = "#!/bin/sh\nexit 0\n"
		}
		for name, body := range stub {
			if err := os.WriteFile(filepath.Join(stubs, name), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		run := func(what string, lines []string) {
			t.Helper()
			cmd := exec.Command(bash, "-c", strings.Join(lines, "\n"))
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + stubs + ":/usr/bin:/bin", "K3S_TOKEN=secret", "HOME=" + dir}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s %q: %v\n%s\n%s", what, p, err, out, strings.Join(lines, "\n"))
			}
			if _, err := os.Stat(canary); err == nil {
				t.Fatalf("%s: a hostile value ran a command (%q):\n%s", what, p, strings.Join(lines, "\n"))
			}
		}

		upgrade, _ := UpgradeCommand(version.K3s, v, true, args)
		run("UpgradeCommand", upgrade)
		got, _ := os.ReadFile(argsLog)
		want := strings.Join([]string{"server", "--node-label", "x=" + p, "--tls-san=" + p, p, "--token", "secret"}, "\x00") + "\x00"
		if string(got) != want {
			t.Errorf("the install script got %q, want %q", got, want)
		}

		install, _ := ScriptCommand(version.K3s, v, true, args)
		run("ScriptCommand", install)
		// INSTALL_K3S_EXEC is one value that the install script splits on blanks; what
		// matters here is that it is the node's text, unexpanded.
		got, _ = os.ReadFile(execLog)
		if !strings.Contains(string(got), "x="+p) || !strings.Contains(string(got), "--token secret") {
			t.Errorf("INSTALL_K3S_EXEC = %q, want the node's arguments as text", got)
		}

		rke2, _ := UpgradeCommand(version.RKE2, version.MustParse("v1.31.13+rke2r1"), false, args)
		run("UpgradeCommand rke2", rke2)
		run("NixOSSteps", NixOSSteps(version.K3s, v, "n"+p, "h"+p))
		run("AirgapSteps", AirgapSteps(version.K3s, v, true, "amd64"+p))
	}
}
