// Package version parses Kubernetes version strings as distributions print them
// (K3s, RKE2, EKS, GKE, kubeadm, k0s, ...) and orders them as releases.
//
// Skew is about major.minor; the patch is for display and ordering. Vendor suffixes
// such as "-eks-0a21954" or "-gke.300" look like semver pre-releases but are not:
// they never make a version older. Only alpha, beta and rc identifiers do.
// K3s and RKE2 revisions ("+k3s2", "+rke2r2") live in semver build metadata, which
// semver ignores; Compare orders them because "+k3s2" is a newer release than "+k3s1".
package version

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Distro is the Kubernetes distribution a version string belongs to.
type Distro string

const (
	K3s   Distro = "k3s"
	RKE2  Distro = "rke2"
	Other Distro = "other"
)

// Name is the distribution as people write it: K3s, RKE2, or Kubernetes for the rest.
func (d Distro) Name() string {
	switch d {
	case K3s:
		return "K3s"
	case RKE2:
		return "RKE2"
	}
	return "Kubernetes"
}

// Rancher makes K3s and RKE2 alike: the same release channels, the same upgrade
// images for the system-upgrade-controller, a kubelet that embeds or is shipped
// with the whole control plane of its release.

// IsRancherDistro reports whether d is K3s or RKE2: the distributions the
// system-upgrade-controller upgrades and the release channels serve.
func (d Distro) IsRancherDistro() bool { return d == K3s || d == RKE2 }

// ParseDistro accepts the names users type for a distribution.
func ParseDistro(s string) (Distro, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "k3s":
		return K3s, nil
	case "rke2":
		return RKE2, nil
	case "other", "":
		return Other, nil
	}
	return "", fmt.Errorf("unknown distro %q: use k3s or rke2", s)
}

// Version is one parsed Kubernetes version.
type Version struct {
	Major, Minor, Patch uint64
	// PreRelease is a real pre-release (alpha, beta, rc), empty for GA and vendor builds.
	PreRelease string
	// VendorSuffix is a pre-release-shaped vendor tag such as "eks-0a21954"; it does not order.
	VendorSuffix string
	// Build is the semver build metadata, such as "k3s1".
	Build  string
	Distro Distro
	// Revision is the K3s or RKE2 release revision (the 2 in "+k3s2"); 0 elsewhere.
	Revision int
	raw      string
}

// MaxLength bounds what Parse reads; a longer string is not a version anyone prints.
const MaxLength = 128

var (
	shape       = regexp.MustCompile(`^v?(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})(\.(0|[1-9]\d{0,8}))?([-+][0-9A-Za-z.+-]*)?$`)
	realPre     = regexp.MustCompile(`^(alpha|beta|rc)(\.?\d+)?(\.[0-9A-Za-z-]+)*$`)
	k3sRevision = regexp.MustCompile(`^k3s(\d{1,6})$`)
	rkeRevision = regexp.MustCompile(`^rke2r(\d{1,6})$`)
)

// Parse reads a full version such as "v1.32.5+k3s1" or "v1.25.9-eks-0a21954".
// A missing patch ("v1.32") is accepted and reads as patch 0; use HasPatch on the
// raw string when that matters (see ParseTarget).
func Parse(s string) (Version, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Version{}, fmt.Errorf("empty version")
	}
	if len(raw) > MaxLength {
		return Version{}, fmt.Errorf("version %.20q... is longer than %d characters", raw, MaxLength)
	}
	if !shape.MatchString(raw) {
		return Version{}, fmt.Errorf("version %q is not of the form vMAJOR.MINOR.PATCH", raw)
	}
	sv, err := semver.NewVersion(raw)
	if err != nil {
		return Version{}, fmt.Errorf("version %q: %w", raw, err)
	}
	v := Version{
		Major: sv.Major(), Minor: sv.Minor(), Patch: sv.Patch(),
		Build: sv.Metadata(), Distro: Other, raw: raw,
	}
	if pre := sv.Prerelease(); pre != "" {
		if realPre.MatchString(pre) {
			v.PreRelease = pre
		} else {
			v.VendorSuffix = pre
		}
	}
	if m := k3sRevision.FindStringSubmatch(v.Build); m != nil {
		v.Distro, v.Revision = K3s, atoi(m[1])
	} else if m := rkeRevision.FindStringSubmatch(v.Build); m != nil {
		v.Distro, v.Revision = RKE2, atoi(m[1])
	}
	return v, nil
}

// MustParse is Parse for constants in tests and tables; it panics on error.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// String is the version as it was written, or a canonical form for built values.
func (v Version) String() string {
	if v.raw != "" {
		return v.raw
	}
	s := fmt.Sprintf("v%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.PreRelease != "" {
		s += "-" + v.PreRelease
	} else if v.VendorSuffix != "" {
		s += "-" + v.VendorSuffix
	}
	if v.Build != "" {
		s += "+" + v.Build
	}
	return s
}

// MinorString is "v1.32".
func (v Version) MinorString() string { return fmt.Sprintf("v%d.%d", v.Major, v.Minor) }

// MinorVersion identifies a Kubernetes minor release.
type MinorVersion struct{ Major, Minor uint64 }

func (m MinorVersion) String() string { return fmt.Sprintf("v%d.%d", m.Major, m.Minor) }

// Add returns the minor n releases later (n may be negative, never below .0).
func (m MinorVersion) Add(n int) MinorVersion {
	x := int64(m.Minor) + int64(n)
	if x < 0 {
		x = 0
	}
	return MinorVersion{m.Major, uint64(x)}
}

// Sub is how many minors m is ahead of o (negative when behind). Kubernetes has had
// one major, so a difference in majors counts as a very large skew.
func (m MinorVersion) Sub(o MinorVersion) int {
	if m.Major != o.Major {
		if m.Major > o.Major {
			return 1000
		}
		return -1000
	}
	return int(int64(m.Minor) - int64(o.Minor))
}

// Compare orders minors.
func (m MinorVersion) Compare(o MinorVersion) int {
	switch {
	case m.Major != o.Major:
		return cmpU(m.Major, o.Major)
	default:
		return cmpU(m.Minor, o.Minor)
	}
}

// ParseMinor reads "v1.32" or "1.32" (a patch, if present, is ignored).
func ParseMinor(s string) (MinorVersion, error) {
	v, err := Parse(s)
	if err != nil {
		return MinorVersion{}, err
	}
	return v.MinorVersion(), nil
}

// MinorVersion is the version's major.minor.
func (v Version) MinorVersion() MinorVersion { return MinorVersion{v.Major, v.Minor} }

// MinorsAhead is how many minors v is ahead of o (negative when behind).
func (v Version) MinorsAhead(o Version) int { return v.MinorVersion().Sub(o.MinorVersion()) }

// Compare orders releases: major, minor, patch; a pre-release before its GA; then the
// K3s/RKE2 revision. Vendor suffixes and other build metadata do not order.
func (v Version) Compare(o Version) int {
	if c := cmpU(v.Major, o.Major); c != 0 {
		return c
	}
	if c := cmpU(v.Minor, o.Minor); c != 0 {
		return c
	}
	if c := cmpU(v.Patch, o.Patch); c != 0 {
		return c
	}
	if c := comparePre(v.PreRelease, o.PreRelease); c != 0 {
		return c
	}
	switch {
	case v.Revision < o.Revision:
		return -1
	case v.Revision > o.Revision:
		return 1
	}
	return 0
}

// Equal reports the same release (Compare == 0) of the same distro.
func (v Version) Equal(o Version) bool { return v.Compare(o) == 0 && v.Distro == o.Distro }

// LessThan is Compare < 0, for sort.Slice.
func (v Version) LessThan(o Version) bool { return v.Compare(o) < 0 }

// IsPreRelease reports alpha, beta and rc builds.
func (v Version) IsPreRelease() bool { return v.PreRelease != "" }

func comparePre(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	av, _ := semver.NewVersion("0.0.0-" + a)
	bv, _ := semver.NewVersion("0.0.0-" + b)
	if av == nil || bv == nil {
		return strings.Compare(a, b)
	}
	return av.Compare(bv)
}

func cmpU(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ImageTag is the version as container image tags spell it: "+" is not allowed
// there, so K3s and RKE2 images use "-" ("v1.32.5-k3s1").
func (v Version) ImageTag() string { return strings.ReplaceAll(v.String(), "+", "-") }

// Target is what a user asks the control plane to move to: a minor ("v1.32") or an
// exact version ("v1.32.5", "v1.32.5+k3s1").
type Target struct {
	Version
	// Exact is false for "v1.32": any release of that minor.
	Exact bool
}

// ParseTarget reads --target and --version values.
func ParseTarget(s string) (Target, error) {
	v, err := Parse(s)
	if err != nil {
		return Target{}, err
	}
	core := strings.SplitN(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(s), "v"), "-", 2)[0], "+", 2)[0]
	return Target{Version: v, Exact: strings.Count(core, ".") == 2}, nil
}

// FromImage reads the version from a container image reference such as
// "registry.k8s.io/kube-apiserver:v1.29.7" or "rancher/hardened-kubernetes:v1.30.4-rke2r1-build20240815".
// Image tags cannot carry "+", so a "-k3sN"/"-rke2rN" suffix is turned back into build metadata
// and a "-buildYYYYMMDD" suffix is dropped.
func FromImage(image string) (Version, error) {
	ref := image
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	if colon <= slash {
		return Version{}, fmt.Errorf("image %q has no tag", image)
	}
	tag := imageBuildSuffix.ReplaceAllString(ref[colon+1:], "")
	tag = imageDistroSuffix.ReplaceAllString(tag, "+$1")
	return Parse(tag)
}

var (
	imageBuildSuffix  = regexp.MustCompile(`-build\d+$`)
	imageDistroSuffix = regexp.MustCompile(`-(k3s\d+|rke2r\d+)$`)
)
