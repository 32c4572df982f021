package check_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func TestCheckGolden(t *testing.T) {
	for _, sc := range checkScenarios {
		for _, format := range []string{"table", "wide", "json"} {
			t.Run(sc.name+"/"+format, func(t *testing.T) {
				args := []string{"check"}
				ext := ".txt"
				switch format {
				case "wide":
					args = append(args, "-o", "wide")
					ext = ".wide.txt"
				case "json":
					args = append(args, "-o", "json")
					ext = ".json"
				}
				r := clitest.Run(t, sc.cluster, args...)
				if r.Code != sc.code {
					t.Errorf("exit code %d, want %d; stderr: %s", r.Code, sc.code, r.Stderr)
				}
				clitest.Golden(t, sc.name+ext, r.Stdout)
				if format == "json" {
					var obj map[string]any
					if err := json.Unmarshal([]byte(r.Stdout), &obj); err != nil {
						t.Fatalf("-o json is not JSON: %v", err)
					}
					if obj["apiVersion"] != "kubectl-skew.io/v1alpha1" || obj["kind"] != "CheckReport" {
						t.Errorf("apiVersion/kind = %v/%v", obj["apiVersion"], obj["kind"])
					}
				}
			})
		}
	}
}

func TestCheckFailOn(t *testing.T) {
	sc := checkScenarios[4].cluster // servers mid-upgrade: warnings only... and errors
	tests := []struct {
		failOn string
		code   int
	}{{"none", cmdutil.ExitOK}, {"error", cmdutil.ExitFindings}, {"warning", cmdutil.ExitFindings}}
	for _, tt := range tests {
		if r := clitest.Run(t, sc, "check", "--fail-on", tt.failOn); r.Code != tt.code {
			t.Errorf("--fail-on %s: exit %d, want %d", tt.failOn, r.Code, tt.code)
		}
	}
	healthyWithWarning := checkScenarios[0].cluster
	if r := clitest.Run(t, healthyWithWarning, "check", "--fail-on", "warning"); r.Code != cmdutil.ExitOK {
		t.Errorf("healthy cluster with --fail-on warning: exit %d", r.Code)
	}
}

func TestCheckTarget(t *testing.T) {
	sc := checkScenarios[0].cluster // K3s v1.32, one agent on v1.31
	r := clitest.Run(t, sc, "check", "--target", "v1.34")
	if r.Code != cmdutil.ExitFindings || !strings.Contains(r.Stdout, "SKEW601") {
		t.Errorf("--target v1.34 from v1.32 must report a skipped minor; exit %d\n%s", r.Code, r.Stdout)
	}
	r = clitest.Run(t, sc, "check", "--target", "v1.31")
	if r.Code != cmdutil.ExitFindings || !strings.Contains(r.Stdout, "SKEW602") {
		t.Errorf("--target v1.31 must report a downgrade; exit %d\n%s", r.Code, r.Stdout)
	}
	// The next minor breaks no skew rule, but its newest release bundles etcd 3.6 while
	// the servers' v1.32.5 bundles 3.5.21: the hop hazard says so (release data).
	r = clitest.Run(t, sc, "check", "--target", "v1.33")
	if r.Code != cmdutil.ExitFindings || strings.Contains(r.Stdout, "SKEW60") || !strings.Contains(r.Stdout, "SKEW903") {
		t.Errorf("--target v1.33 is the next minor, reached through etcd 3.6: exit %d\n%s", r.Code, r.Stdout)
	}
	r = clitest.Run(t, sc, "check", "--target", "v1.33", "--hazards=false")
	if r.Code != cmdutil.ExitOK {
		t.Errorf("--target v1.33 without hazards: exit %d\n%s", r.Code, r.Stdout)
	}
}

func TestCheckBadInput(t *testing.T) {
	sc := checkScenarios[0].cluster
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"check", "-o", "xml"}, `unknown output format "xml"`},
		{[]string{"check", "--fail-on", "sometimes"}, `--fail-on "sometimes"`},
		{[]string{"check", "--target", "latest"}, "--target"},
		{[]string{"check", "--release-data", "/nonexistent.json"}, "--release-data is read only to judge a target"},
		{[]string{"check", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"check", "extra"}, "unknown command"},
	}
	for _, tt := range tests {
		r := clitest.Run(t, sc, tt.args...)
		if r.Code != cmdutil.ExitError {
			t.Errorf("%v: exit %d, want 1", tt.args, r.Code)
		}
		if !strings.Contains(r.Stderr, tt.want) || strings.Count(strings.TrimSpace(r.Stderr), "\n") != 0 {
			t.Errorf("%v: stderr %q should be one line containing %q", tt.args, r.Stderr, tt.want)
		}
		if r.Stdout != "" {
			t.Errorf("%v: nothing belongs on stdout, got %q", tt.args, r.Stdout)
		}
	}
}

func TestCheckSkippedGoesToStderr(t *testing.T) {
	r := clitest.Run(t, checkScenarios[3].cluster, "check", "-o", "json")
	if !strings.Contains(r.Stderr, "warning: skipped kubectl version: no kubectl on PATH") {
		t.Errorf("stderr = %q", r.Stderr)
	}
	if !strings.Contains(r.Stdout, `"what": "kubectl version"`) {
		t.Errorf("the json report must list what was skipped")
	}
}
