package rollback

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/install"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// hostile are values a node writes (node-args, its kubelet's version) or an
// ETCDSnapshotFile holds, each of which would create the file CANARY if a script
// line carried it as shell text.
var hostile = []string{
	"$(touch CANARY)",
	"`touch CANARY`",
	"x;touch CANARY",
	"x\ntouch CANARY\n",
	"x'; touch CANARY; '",
	`x"; touch CANARY; "`,
	"${IFS:-$(touch CANARY)}",
	"x}$(touch CANARY)",
}

// TestScriptsRunHostileValuesInert builds the runbooks of an etcd and an SQLite
// cluster whose --data-dir, kubelet versions and snapshot path are hostile, writes
// the scripts and runs every step of every script with bash, the programs they
// call (curl, systemctl, k3s, mv, cp...) replaced by stubs that log their
// arguments: no payload runs, and the stubbed mv gets the hostile directory back
// as one argument, exactly.
func TestScriptsRunHostileValuesInert(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	for i, p := range hostile {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			dir := t.TempDir()
			canary := filepath.Join(dir, "pwned")
			p = strings.ReplaceAll(p, "CANARY", canary)
			dataDir := filepath.Join(dir, "data") + p
			args, _ := json.Marshal([]string{"server", "--data-dir", dataDir, "--token", "********"})
			from := version.MustParse("v1.30.14+k3s1")
			sqlite := Input{Distro: version.K3s, Namespace: "system-upgrade", Failed: "v1.31.13+k3s1", From: from, Datastore: DatastoreSQLite, Now: t0,
				Nodes: []corev1.Node{node("s-1", "v1.31.13+k3s1", true, string(args)), node("a-1", "v1.31.13+k3s1"+p, false, `["agent"]`)}}
			local := snap("pre-upgrade", t0.Add(-1))
			local.Location = "file://" + dataDir + "/server/db/snapshots/pre-upgrade"
			ha := k3sHA()
			ha[1].Annotations["k3s.io/node-args"] = string(args)
			ha[0].Annotations["k3s.io/node-args"] = string(args)
			ha[3].Status.NodeInfo.KubeletVersion += p
			etcd := Input{Distro: version.K3s, Namespace: "system-upgrade", Failed: "v1.31.13+k3s1", From: from, Datastore: DatastoreEtcd, Now: t0,
				Choice: &Choice{Snapshot: local, Version: from}, Nodes: ha}
			for name, in := range map[string]Input{"sqlite": sqlite, "etcd": etcd} {
				if err := Check(in); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				r := Build(in)
				runScripts(t, bash, dir, name, r, Scripts(r, "runbook"))
				if _, err := os.Stat(canary); err == nil {
					t.Fatalf("%s: a hostile value ran a command (%q)", name, p)
				}
			}
			log, _ := os.ReadFile(filepath.Join(dir, "calls"))
			for _, want := range []string{"mv\x00" + dataDir + "/server\x00", "--data-dir\x00" + dataDir + "\x00"} {
				if !strings.Contains(string(log), want) {
					t.Errorf("the data directory %q did not come back as one argument (%q)", dataDir, want)
				}
			}
		})
	}
}

// runScripts writes the scripts and runs each step of each on its node's script;
// a step that reads BACKUP runs with it unset (its message is where the SQLite
// step names the directory), then set.
func runScripts(t *testing.T, bash, dir, name string, r *report.RollbackRunbook, files map[string]string) {
	t.Helper()
	stubs := filepath.Join(dir, "bin")
	writeStubs(t, stubs, filepath.Join(dir, "calls"))
	out, backup := filepath.Join(dir, name), filepath.Join(dir, "backup")
	for _, d := range []string{out, backup} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(out, f), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range r.Steps {
		file := st.Node
		if file == "" {
			file = "cluster"
		}
		envs := [][]string{{"BACKUP=" + backup}}
		if strings.Contains(strings.Join(st.Commands, "\n"), "BACKUP") {
			envs = append(envs, nil)
		}
		for _, extra := range envs {
			cmd := exec.Command(bash, filepath.Join(out, fileName(file)+".sh"), strconv.Itoa(st.Number))
			cmd.Dir = out
			cmd.Env = append([]string{"PATH=" + stubs + ":/usr/bin:/bin", "K3S_TOKEN=t", "HOME=" + dir}, extra...)
			// A step may fail (BACKUP unset, a kubelet version the stub does not
			// report): only what runs matters.
			_ = cmd.Run()
		}
	}
}

// writeStubs puts in dir the programs the scripts call, each logging its name and
// arguments (NUL-separated) to log; k3s --version answers the release rolled back to.
func writeStubs(t *testing.T, dir, log string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	stub := "#!/bin/sh\nprintf '%s\\0' \"$(basename \"$0\")\" \"$@\" >>" + install.Quote(log) + "\n" +
		"case \"$(basename \"$0\"):$1\" in\n  k3s:--version) echo 'k3s version v1.30.14+k3s1 (abc)' ;;\n  id:*) echo 0 ;;\nesac\n"
	for _, name := range []string{"curl", "systemctl", "k3s", "k3s-killall.sh", "kubectl", "mv", "cp", "id", "rm", "install", "tar", "mkdir", "sha256sum"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// TestScriptFileNames: a node name is a file name in the output directory, whatever
// it holds.
func TestScriptFileNames(t *testing.T) {
	r := &report.RollbackRunbook{Distro: "k3s", From: "v1.30.14+k3s1", Steps: []report.RollbackStep{
		{Number: 1, Node: "../../etc/cron.d/x", Role: "server", Commands: []string{"true"}},
		{Number: 2, Node: "a/b", Role: "agent", Commands: []string{"true"}},
	}}
	for name := range Scripts(r, "") {
		if strings.ContainsAny(name, `/\`) {
			t.Errorf("file name %q leaves the directory", name)
		}
	}
}
