package hazard

import (
	"fmt"
	"regexp"
	"strconv"
)

// The kubelet says what cgroup version its host runs only through a Warning Event
// (reason CgroupV1) at start, and Events expire with the apiserver's event TTL (one hour
// by default): most cgroup v1 hosts are not seen that way. The node's own report is the
// second source: a kernel older than 4.15 cannot run cgroup v2 at all; a kernel older
// than 5.8, or an OS release whose default is cgroup v1, most likely runs v1 (each can be
// overridden at boot with systemd.unified_cgroup_hierarchy, so it is only likely).
// Sources: runc's docs/cgroup-v2.md (kernel 4.15), kubernetes.io's cgroups page
// (kernel 5.8; the first release of each distribution that defaults to v2).

var (
	kernelVersion = regexp.MustCompile(`^(\d+)\.(\d+)`)
	// cgroupV1OS match an osImage whose release defaults to cgroup v1; the group is
	// the release number where one decides.
	cgroupV1OS = []struct {
		re    *regexp.Regexp
		below float64 // the first release that defaults to v2; 0: every release matched is v1
		name  string
	}{
		{regexp.MustCompile(`^Ubuntu (\d+\.\d+)`), 21.10, "Ubuntu before 21.10"},
		{regexp.MustCompile(`^Debian GNU/Linux (\d+)`), 11, "Debian before 11"},
		{regexp.MustCompile(`^(?:CentOS Linux|CentOS Stream|Red Hat Enterprise Linux|Rocky Linux|AlmaLinux|Oracle Linux Server)\D*?(\d+)`), 9, "RHEL and RHEL-like releases before 9"},
		{regexp.MustCompile(`^Fedora(?: Linux)? (\d+)`), 31, "Fedora before 31"},
		{regexp.MustCompile(`^Amazon Linux 2$`), 0, "Amazon Linux 2"},
	}
)

// cgroupV1Evidence says why node n runs, or most likely runs, cgroup v1: certain is set
// for the kubelet's own Event and for a kernel that cannot run v2.
func cgroupV1Evidence(n *Node) (evidence string, certain bool) {
	if n.CgroupV1Warnings > 0 {
		return "the kubelet reported a cgroup v1 host (Event reason CgroupV1)", true
	}
	if m := kernelVersion.FindStringSubmatch(n.Kernel); m != nil {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		switch {
		case major < 4 || major == 4 && minor < 15:
			return fmt.Sprintf("its kernel %s predates cgroup v2 (4.15)", n.Kernel), true
		case major < 5 || major == 5 && minor < 8:
			return fmt.Sprintf("its kernel %s is older than 5.8, the oldest Kubernetes runs cgroup v2 on, so it most likely runs cgroup v1", n.Kernel), false
		}
	}
	for _, os := range cgroupV1OS {
		m := os.re.FindStringSubmatch(n.OSImage)
		if m == nil {
			continue
		}
		if os.below == 0 {
			return fmt.Sprintf("its OS %q (%s) defaults to cgroup v1", n.OSImage, os.name), false
		}
		if v, err := strconv.ParseFloat(m[1], 64); err == nil && v < os.below {
			return fmt.Sprintf("its OS %q (%s) defaults to cgroup v1", n.OSImage, os.name), false
		}
	}
	return "", false
}

func judgeCgroupV1(_ Hop, f *Facts) []Hit {
	var out []Hit
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if n.passThrough("kubelet")["fail-cgroupv1"] == "false" {
			continue
		}
		evidence, certain := cgroupV1Evidence(n)
		switch {
		case evidence == "":
			continue
		case certain:
			out = append(out, Hit{Subject: "node/" + n.Name, Message: evidence + "; from v1.35 the kubelet refuses to start there"})
		default:
			out = append(out, Hit{Subject: "node/" + n.Name, Unknown: true, Message: evidence +
				"; from v1.35 the kubelet refuses to start on cgroup v1 (check on the node: stat -fc %T /sys/fs/cgroup prints cgroup2fs for v2)"})
		}
	}
	return out
}
