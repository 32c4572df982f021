package main

import (
	"fmt"
	"os"
	"os/exec"
)

// build cross-compiles pkg for p into out. Everything that could make two builds of one commit
// differ is pinned here rather than left to the caller's environment: no cgo, no local paths,
// no VCS stamp (a CI checkout may not even be a trusted git directory), baseline CPU levels.
func build(pkg, out, ldflags string, p platform) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, pkg)
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=0", "GOOS="+p.os, "GOARCH="+p.arch,
		"GOAMD64=v1", "GOARM64=v8.0", "GOEXPERIMENT=",
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", p.os, p.arch, err)
	}
	return nil
}
