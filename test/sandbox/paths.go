package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModulePath is the root module; RepoRoot looks for its go.mod.
const ModulePath = "github.com/kubectl-skew/kubectl-skew"

// ErrToolsMissing means a binary the sandbox runs has not been built or installed.
var ErrToolsMissing = errors.New("sandbox tools missing: run `make tools`")

// RepoRoot walks up from the working directory to the root module's directory, so the
// sandbox finds .cache/ from a test package's directory as well as from the root.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if isRootModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("find repository root: no go.mod of %s above the working directory", ModulePath)
		}
		dir = parent
	}
}

func isRootModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module ")) == ModulePath
		}
	}
	return false
}

// Tools are the binaries the sandbox starts.
type Tools struct {
	Etcd      string
	APIServer string
	// ControllerManager and Scheduler are kube-controller-manager and kube-scheduler,
	// of the same release as APIServer.
	ControllerManager string
	Scheduler         string
	Kubectl           string
	// SUC is the system-upgrade-controller; empty when not needed.
	SUC string
}

// DefaultBinDir is where `make tools` puts the pinned builds: <repo>/.cache/bin, or
// $KUBECTL_SKEW_BIN_DIR when set.
func DefaultBinDir() (string, error) {
	if d := os.Getenv("KUBECTL_SKEW_BIN_DIR"); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "bin"), nil
}

// FindTools locates every binary, naming all that are missing in one error.
func FindTools(binDir string, suc bool) (Tools, error) {
	var t Tools
	var missing []string
	find := func(name string, candidates ...string) string {
		for _, c := range candidates {
			if c == "" {
				continue
			}
			if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return c
			}
		}
		missing = append(missing, name)
		return ""
	}
	cpDir, err := ControlPlaneDir(binDir)
	if err != nil {
		return t, err
	}
	etcdOnPath, _ := exec.LookPath("etcd")
	t.Etcd = find("etcd (Debian package etcd-server)", filepath.Join(binDir, "etcd"), etcdOnPath, "/usr/bin/etcd")
	t.APIServer = find("kube-apiserver", filepath.Join(cpDir, "kube-apiserver"))
	t.ControllerManager = find("kube-controller-manager", filepath.Join(cpDir, "kube-controller-manager"))
	t.Scheduler = find("kube-scheduler", filepath.Join(cpDir, "kube-scheduler"))
	// kubectl is not run by the sandbox itself: the pinned one when built, else the
	// user's; the e2e tests insist on the pinned one.
	t.Kubectl = filepath.Join(binDir, "kubectl")
	if _, err := os.Stat(t.Kubectl); err != nil {
		t.Kubectl, _ = exec.LookPath("kubectl")
	}
	if suc {
		t.SUC = find("system-upgrade-controller", filepath.Join(binDir, "system-upgrade-controller"))
	}
	if len(missing) > 0 {
		return t, fmt.Errorf("%w (not found in %s: %s)", ErrToolsMissing, binDir, strings.Join(missing, ", "))
	}
	return t, nil
}
