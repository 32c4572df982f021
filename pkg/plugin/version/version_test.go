package version_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

func TestVersion(t *testing.T) {
	sc := clitest.Cluster{ServerVersion: "v1.32.2"}
	r := clitest.Run(t, sc, "version")
	if r.Code != cmdutil.ExitOK || !strings.HasPrefix(r.Stdout, "kubectl-skew v0.0.0-dev (commit unknown") || strings.Contains(r.Stdout, "Server") {
		t.Errorf("client only by default: exit %d, %q", r.Code, r.Stdout)
	}
	r = clitest.Run(t, sc, "version", "--client=false")
	if r.Code != cmdutil.ExitOK || !strings.Contains(r.Stdout, "Server: v1.32.2") {
		t.Errorf("--client=false adds the server: exit %d, %q", r.Code, r.Stdout)
	}
	r = clitest.Run(t, sc, "version", "--client=false", "-o", "json")
	var v struct {
		Kind   string `json:"kind"`
		Client struct{ Version string }
		Server struct{ GitVersion string }
	}
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil || v.Kind != "VersionInfo" || v.Server.GitVersion != "v1.32.2" {
		t.Errorf("json %q: %v", r.Stdout, err)
	}
	if r := clitest.Run(t, sc, "version", "-o", "wide"); r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, `unknown output format "wide"`) {
		t.Errorf("version has no wide output: %d %q", r.Code, r.Stderr)
	}
}
