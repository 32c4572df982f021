package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// ControlPlaneEnv picks the control plane of the version matrix: unset runs the newest
// (the binaries in the bin dir itself); "v1.28" runs the ones `make tools` built into
// <bin dir>/k8s-v1.28. kubectl stays the newest either way, as on a user's workstation.
const ControlPlaneEnv = "KUBECTL_SKEW_CONTROL_PLANE"

var controlPlaneRE = regexp.MustCompile(`^v1\.[0-9]+$`)

// ControlPlaneDir is where kube-apiserver, kube-controller-manager and kube-scheduler
// are found for the control plane $KUBECTL_SKEW_CONTROL_PLANE names.
func ControlPlaneDir(binDir string) (string, error) {
	v := os.Getenv(ControlPlaneEnv)
	if v == "" {
		return binDir, nil
	}
	if !controlPlaneRE.MatchString(v) {
		return "", fmt.Errorf("%s=%q: name a minor such as v1.28", ControlPlaneEnv, v)
	}
	return filepath.Join(binDir, "k8s-"+v), nil
}
