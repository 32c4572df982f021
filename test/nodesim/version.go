package nodesim

import (
	"regexp"
	"strconv"
	"strings"

	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
	batchv1 "k8s.io/api/batch/v1"
)

// Demunge undoes SUC's MungeVersion ("+" -> "-", for image tags and label values):
// "v1.31.13-k3s1" -> "v1.31.13+k3s1", "v1.28.4-rc1-k3s1" -> "v1.28.4-rc1+k3s1".
// Versions without a K3s/RKE2 suffix are returned as they are.
func Demunge(v string) string {
	if strings.Contains(v, "+") {
		return v
	}
	for _, suffix := range []string{"-k3s", "-rke2"} {
		if i := strings.LastIndex(v, suffix); i > 0 {
			return v[:i] + "+" + v[i+1:]
		}
	}
	return v
}

// targetVersion is the version the node ends on: the Plan's spec.version, else the
// upgrade container's image tag (SUC sets it from status.latestVersion), else the
// Job's version label.
func targetVersion(plan *upgradev1.Plan, job *batchv1.Job) string {
	if plan != nil && plan.Spec.Version != "" {
		return Demunge(plan.Spec.Version)
	}
	for _, c := range job.Spec.Template.Spec.Containers {
		if c.Name == "upgrade" {
			if tag := imageTag(c.Image); tag != "" {
				return Demunge(tag)
			}
		}
	}
	return Demunge(job.Labels[LabelVersion])
}

func imageTag(image string) string {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return ""
	}
	return image[i+1:]
}

// prepareTarget returns the server Plan an agent Job waits for: the prepare init
// container's `prepare <plan>` arguments.
func prepareTarget(job *batchv1.Job) string {
	for _, c := range job.Spec.Template.Spec.InitContainers {
		if c.Name != "prepare" {
			continue
		}
		args := append(append([]string{}, c.Command...), c.Args...)
		for i, a := range args {
			if a == "prepare" && i+1 < len(args) {
				return args[i+1]
			}
		}
	}
	return ""
}

// cordons reports whether the Job cordons its node first (a cordon or drain step).
func cordons(job *batchv1.Job) bool {
	for _, c := range job.Spec.Template.Spec.InitContainers {
		if c.Name == "cordon" || c.Name == "drain" {
			return true
		}
	}
	return false
}

// kubeProxyReport is what a kubelet of version v writes in kubeProxyVersion: its own
// version up to v1.30, nothing from v1.31 (KEP-4004), as the scenarios seed it.
func kubeProxyReport(v string) string {
	parts := strings.SplitN(strings.TrimPrefix(v, "v"), ".", 3)
	if len(parts) < 2 {
		return ""
	}
	if minor, err := strconv.Atoi(parts[1]); err == nil && minor <= 30 {
		return v
	}
	return ""
}

// retag moves an image tag that carries the old version to the new one, in whichever
// spelling the tag uses ("v1.30.14-rke2r2-build..." or "v1.30.14").
func retag(image, from, to string) (string, bool) {
	tag := imageTag(image)
	if tag == "" || from == "" || from == to {
		return image, false
	}
	for _, pair := range [][2]string{
		{strings.ReplaceAll(from, "+", "-"), strings.ReplaceAll(to, "+", "-")},
		{baseOf(from), baseOf(to)},
	} {
		if pair[0] != "" && strings.HasPrefix(tag, pair[0]) && (len(tag) == len(pair[0]) || tag[len(pair[0])] == '-') {
			return image[:len(image)-len(tag)] + pair[1] + tag[len(pair[0]):], true
		}
	}
	return image, false
}

func baseOf(v string) string {
	if i := strings.IndexAny(v, "+-"); i > 0 {
		return v[:i]
	}
	return v
}

// release is an exact K3s or RKE2 release as the install scripts take it
// (INSTALL_K3S_VERSION=v1.33.5+k3s1, INSTALL_RKE2_VERSION=v1.33.5+rke2r1): the "+"
// spelling only, as SUC's munged "-k3s1" is not a release name the scripts download.
var release = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-(alpha|beta|rc)[0-9]+)?\+(k3s|rke2r)[1-9][0-9]*$`)

// ReleaseDistro is "k3s" or "rke2" for an exact release of that distribution, ""
// for anything else (a kubeadm kubelet's v1.33.5, a munged tag, a channel name).
func ReleaseDistro(v string) string {
	m := release.FindStringSubmatch(v)
	switch {
	case m == nil:
		return ""
	case m[6] == "k3s":
		return "k3s"
	}
	return "rke2"
}
