package cmdutil

import (
	"context"
	"encoding/json"
	"os/exec"
	"time"
)

// PathKubectlVersion reads the version of the kubectl first on PATH: the one a user's
// shell runs. kubectl passes plugins no version of its own and execs them in its
// place, so the invoking binary cannot be told apart; we name where the version came
// from instead of guessing, and skip when there is no kubectl to ask.
func PathKubectlVersion(ctx context.Context) (ver, source, skipped string) {
	path, err := exec.LookPath("kubectl")
	if err != nil {
		return "", "", "no kubectl on PATH"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "version", "--client", "-o", "json").Output()
	if err != nil {
		return "", "", path + " version --client failed: " + err.Error()
	}
	var v struct {
		ClientVersion struct {
			GitVersion string `json:"gitVersion"`
		} `json:"clientVersion"`
	}
	if err := json.Unmarshal(out, &v); err != nil || v.ClientVersion.GitVersion == "" {
		return "", "", path + " version --client printed no version"
	}
	return v.ClientVersion.GitVersion, path, ""
}
