package main

import (
	"fmt"
	"strings"
)

const (
	archivePrefix = "kubectl-skew_"
	completionDir = "hack/completion"
)

type platform struct{ os, arch string }

func parsePlatforms(s string) ([]platform, error) {
	var ps []platform
	for _, f := range strings.Fields(s) {
		goos, goarch, ok := strings.Cut(f, "/")
		if !ok || goos == "" || goarch == "" {
			return nil, fmt.Errorf("platform %q: want os/arch, e.g. linux/amd64", f)
		}
		ps = append(ps, platform{goos, goarch})
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("no platforms given")
	}
	return ps, nil
}

func (p platform) windows() bool { return p.os == "windows" }

func (p platform) binName() string {
	if p.windows() {
		return "kubectl-skew.exe"
	}
	return "kubectl-skew"
}

// archiveName matches the URLs in .krew.yaml: kubectl-skew_<version>_<os>_<arch>.tar.gz,
// and .zip for windows, where tar is not a given.
func (p platform) archiveName(version string) string {
	ext := ".tar.gz"
	if p.windows() {
		ext = ".zip"
	}
	return archivePrefix + version + "_" + p.os + "_" + p.arch + ext
}

// entry is one file in an archive: its name there, where it comes from, its mode.
type entry struct {
	name, src string
	mode      int64
}

// entries lists an archive's content in its fixed order (the order is part of the bytes).
func (p platform) entries(bin string) []entry {
	complete := "kubectl_complete-skew"
	if p.windows() {
		// cmd.exe runs it; kubectl finds it through PATHEXT like an .exe.
		complete += ".cmd"
	}
	return []entry{
		{p.binName(), bin, 0o755},
		{complete, completionDir + "/" + complete, 0o755},
		{"LICENSE", "LICENSE", 0o644},
		{"README.md", "README.md", 0o644},
	}
}
