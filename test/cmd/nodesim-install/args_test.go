package main

import (
	"bytes"
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	base := map[string]string{"SKEW_NODE": "k3s-agent-1", "SKEW_VERSION": "v1.33.5+k3s1", "KUBECONFIG": "/tmp/kc"}
	with := func(kv ...string) map[string]string {
		env := map[string]string{}
		for k, v := range base {
			env[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			env[kv[i]] = kv[i+1]
		}
		return env
	}
	def := config{node: "k3s-agent-1", version: "v1.33.5+k3s1", kubeconfig: []string{"/tmp/kc"}, timeout: 30 * time.Second}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want config
		// bad is a part of the error's text; "" means no error.
		bad string
	}{
		{name: "environment only", env: base, want: def},
		{name: "rke2 release on an FQDN node", env: with("SKEW_NODE", "rke2-server-1.lab.example", "SKEW_VERSION", "v1.32.12+rke2r1"),
			want: config{node: "rke2-server-1.lab.example", version: "v1.32.12+rke2r1", kubeconfig: []string{"/tmp/kc"}, timeout: 30 * time.Second}},
		{name: "release candidate", env: with("SKEW_VERSION", "v1.34.0-rc1+k3s1"),
			want: config{node: "k3s-agent-1", version: "v1.34.0-rc1+k3s1", kubeconfig: []string{"/tmp/kc"}, timeout: 30 * time.Second}},
		{name: "flags win over the environment", env: base,
			args: []string{"--node", "k3s-agent-2", "--version=v1.34.1+k3s1", "--kubeconfig", "/other", "--never", "--sleep", "2s", "--timeout", "5s"},
			want: config{node: "k3s-agent-2", version: "v1.34.1+k3s1", kubeconfig: []string{"/other"}, never: true, sleep: 2 * time.Second, timeout: 5 * time.Second}},
		{name: "no environment, all flags", env: map[string]string{},
			args: []string{"--node", "n1", "--version", "v1.31.13+rke2r1", "--kubeconfig", "/kc"},
			want: config{node: "n1", version: "v1.31.13+rke2r1", kubeconfig: []string{"/kc"}, timeout: 30 * time.Second}},
		{name: "a kubeconfig path list", env: with("KUBECONFIG", "/a::/b"),
			want: config{node: "k3s-agent-1", version: "v1.33.5+k3s1", kubeconfig: []string{"/a", "/b"}, timeout: 30 * time.Second}},
		{name: "fail from the environment", env: with("NODESIM_INSTALL_FAIL", "disk full"),
			want: config{node: "k3s-agent-1", version: "v1.33.5+k3s1", kubeconfig: []string{"/tmp/kc"}, fail: "disk full", timeout: 30 * time.Second}},
		{name: "--fail wins over the environment", env: with("NODESIM_INSTALL_FAIL", "disk full"), args: []string{"--fail", "no route to host"},
			want: config{node: "k3s-agent-1", version: "v1.33.5+k3s1", kubeconfig: []string{"/tmp/kc"}, fail: "no route to host", timeout: 30 * time.Second}},
		{name: "a failing run needs no kubeconfig", env: with("KUBECONFIG", ""), args: []string{"--fail", "boom"},
			want: config{node: "k3s-agent-1", version: "v1.33.5+k3s1", fail: "boom", timeout: 30 * time.Second}},

		{name: "no node", env: with("SKEW_NODE", ""), bad: "no node: set SKEW_NODE or pass --node"},
		{name: "empty --node wins over the environment", env: base, args: []string{"--node", ""}, bad: "no node"},
		{name: "node name with a shell in it", env: with("SKEW_NODE", "a; rm -rf /"), bad: `$SKEW_NODE="a; rm -rf /" is not a node name`},
		{name: "no version", env: with("SKEW_VERSION", ""), bad: "no version: set SKEW_VERSION or pass --version"},
		{name: "munged version", env: with("SKEW_VERSION", "v1.33.5-k3s1"), bad: `$SKEW_VERSION="v1.33.5-k3s1" is not an exact K3s or RKE2 release`},
		{name: "kubeadm version", args: []string{"--version", "v1.33.5"}, env: base, bad: `--version="v1.33.5" is not`},
		{name: "channel name", env: with("SKEW_VERSION", "stable"), bad: "is not an exact"},
		{name: "version with a newline", env: with("SKEW_VERSION", "v1.33.5+k3s1\n"), bad: "is not an exact"},
		{name: "no kubeconfig", env: with("KUBECONFIG", ""), bad: "no kubeconfig: set KUBECONFIG or pass --kubeconfig"},
		{name: "empty --fail", env: base, args: []string{"--fail", " "}, bad: "--fail needs a message"},
		{name: "negative sleep", env: base, args: []string{"--sleep", "-1s"}, bad: "--sleep -1s"},
		{name: "sleep without a unit", env: base, args: []string{"--sleep", "5"}, bad: `invalid value "5" for flag -sleep`},
		{name: "zero timeout", env: base, args: []string{"--timeout", "0s"}, bad: "--timeout 0s"},
		{name: "unknown flag", env: base, args: []string{"--force"}, bad: "flag provided but not defined: -force (see --help)"},
		{name: "positional argument", env: base, args: []string{"k3s-agent-1"}, bad: `unexpected argument "k3s-agent-1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := parse(tc.args, func(k string) string { return tc.env[k] }, &out)
			if tc.bad != "" {
				var usage *usageError
				if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("parse(%q) error %v, want a usage error containing %q", tc.args, err, tc.bad)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is more than one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse(%q): %v", tc.args, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("parse(%q) =\n  %+v\nwant\n  %+v", tc.args, got, tc.want)
			}
		})
	}
}

func TestParseHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := parse([]string{"--help"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "SKEW_NODE") || !strings.Contains(out.String(), "-never") {
		t.Errorf("--help: err %v, output:\n%s", err, out.String())
	}
}

// TestRunWithoutACluster covers the exits that need no cluster: usage errors and --fail.
func TestRunWithoutACluster(t *testing.T) {
	env := map[string]string{"SKEW_NODE": "k3s-agent-1", "SKEW_VERSION": "v1.33.5+k3s1"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		stdout  string
		stderr  string
		atLeast time.Duration
	}{
		{name: "fail", args: []string{"--fail", "disk full"}, code: exitFailed, stderr: "disk full\n"},
		{name: "sleep then fail", args: []string{"--sleep", "200ms", "--fail", "boom"}, code: exitFailed, stderr: "boom\n", atLeast: 200 * time.Millisecond},
		{name: "usage error", args: []string{"--version", "latest"}, code: exitUsage,
			stderr: "nodesim-install: --version=\"latest\" is not an exact K3s or RKE2 release (such as v1.33.5+k3s1 or v1.33.5+rke2r1)\n"},
		{name: "no kubeconfig", code: exitUsage, stderr: "nodesim-install: no kubeconfig: set KUBECONFIG or pass --kubeconfig\n"},
		{name: "kubeconfig that does not exist", args: []string{"--kubeconfig", "/nonexistent/kubeconfig"}, code: exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			began := time.Now()
			code := run(tc.args, getenv, &out, &errb)
			if code != tc.code || out.String() != tc.stdout || (tc.stderr != "" && errb.String() != tc.stderr) {
				t.Errorf("run(%q) = %d\nstdout %q\nstderr %q\nwant %d, stdout %q, stderr %q", tc.args, code, out.String(), errb.String(), tc.code, tc.stdout, tc.stderr)
			}
			if lines := strings.Count(errb.String(), "\n"); lines != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", lines, errb.String())
			}
			if took := time.Since(began); took < tc.atLeast {
				t.Errorf("took %v, want at least %v", took, tc.atLeast)
			}
		})
	}
}
