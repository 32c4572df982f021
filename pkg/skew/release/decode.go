package release

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// The data format (docs/releases.md): one JSON object, written one release per line.
const (
	APIVersion = "releases.kubectl-skew.io/v1"
	Kind       = "ReleaseData"
)

// Bounds on data from outside: the embedded table is a few hundred kilobytes.
const (
	MaxBytes      = 16 << 20
	MaxReleases   = 20000
	maxComponents = 64
	maxField      = 256
)

// ErrBadData marks release data that does not parse or contradicts itself.
var ErrBadData = errors.New("bad release data")

type fileJSON struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Releases   []releaseJSON `json:"releases"`
}

type releaseJSON struct {
	Version    string            `json:"version"`
	Date       string            `json:"date,omitempty"`
	Components map[string]string `json:"components"`
	Source     Source            `json:"source"`
}

var (
	componentName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,40}$`)
	isoDate       = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)
	commitHash    = regexp.MustCompile(`^[0-9a-f]{7,40}$`)
)

// Decode reads release data strictly: unknown fields, a second JSON value, a release
// that is not K3s or RKE2, a component that is not a version, a Kubernetes column that
// contradicts the release, and a release listed twice are all errors that name the row.
func Decode(data []byte) ([]*Release, error) {
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than the limit of %d", ErrBadData, len(data), MaxBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileJSON
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrBadData, jsonProblem(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more than one JSON value", ErrBadData)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrBadData)
	}
	if f.APIVersion != APIVersion || f.Kind != Kind {
		return nil, fmt.Errorf("%w: apiVersion %q kind %q, want %s %s", ErrBadData, clip(f.APIVersion), clip(f.Kind), APIVersion, Kind)
	}
	if len(f.Releases) == 0 {
		return nil, fmt.Errorf("%w: no releases (a \"releases\" list of at least one)", ErrBadData)
	}
	if len(f.Releases) > MaxReleases {
		return nil, fmt.Errorf("%w: %d releases, more than the limit of %d", ErrBadData, len(f.Releases), MaxReleases)
	}
	out := make([]*Release, 0, len(f.Releases))
	seen := make(map[string]int, len(f.Releases))
	for i, row := range f.Releases {
		r, err := row.release()
		if err != nil {
			return nil, fmt.Errorf("%w: releases[%d]: %v", ErrBadData, i, err)
		}
		k := key(r.Version)
		if j, dup := seen[k]; dup {
			return nil, fmt.Errorf("%w: releases[%d]: %s is listed twice (also releases[%d]%s)", ErrBadData, i, r.Version, j, contradiction(out[j], r))
		}
		seen[k] = i
		out = append(out, r)
	}
	return out, nil
}

func (row releaseJSON) release() (*Release, error) {
	v, err := version.Parse(row.Version)
	if err != nil {
		return nil, err
	}
	if !v.Distro.IsRancherDistro() || v.Major != 1 {
		return nil, fmt.Errorf("version %q is not a K3s or RKE2 release (vX.Y.Z+k3sN or +rke2rN)", clip(row.Version))
	}
	if row.Date != "" && !isoDate.MatchString(row.Date) {
		return nil, fmt.Errorf("%s: date %q is not YYYY-MM-DD", v, clip(row.Date))
	}
	if len(row.Components) == 0 || len(row.Components) > maxComponents {
		return nil, fmt.Errorf("%s: %d components (want 1 to %d)", v, len(row.Components), maxComponents)
	}
	for name, raw := range row.Components {
		if !componentName.MatchString(name) {
			return nil, fmt.Errorf("%s: component name %q is not lower-case letters, digits and dashes", v, clip(name))
		}
		if raw != strings.TrimSpace(raw) {
			return nil, fmt.Errorf("%s: component %s: %q has spaces or line breaks around it", v, name, clip(raw))
		}
		if _, err := version.Parse(raw); err != nil {
			return nil, fmt.Errorf("%s: component %s: %v", v, name, err)
		}
	}
	if k, ok := row.Components[Kubernetes]; ok {
		kv, _ := version.Parse(k)
		if kv.Major != v.Major || kv.Minor != v.Minor || kv.Patch != v.Patch {
			return nil, fmt.Errorf("%s: its kubernetes component %s contradicts the release", v, k)
		}
	}
	if err := row.Source.check(); err != nil {
		return nil, fmt.Errorf("%s: source: %v", v, err)
	}
	return &Release{Version: v, Date: row.Date, Components: row.Components, Source: row.Source}, nil
}

func (s Source) check() error {
	for _, f := range []string{s.Repo, s.Path, s.Commit, s.URL} {
		if len(f) > maxField || strings.ContainsFunc(f, func(r rune) bool { return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 }) {
			return fmt.Errorf("a field is longer than %d characters or holds control characters", maxField)
		}
	}
	switch {
	case s.Repo != "" && (s.Path == "" || !commitHash.MatchString(s.Commit)):
		return fmt.Errorf("a repository source needs a path and a commit hash")
	case s.Repo == "" && !strings.HasPrefix(s.URL, "https://"):
		return fmt.Errorf("name a repository, path and commit, or an https URL")
	}
	return nil
}

// Encode writes releases in the canonical form: sorted by distribution and version,
// one release per line, so a regenerated table diffs line by line.
func Encode(rs []*Release) []byte {
	sorted := append([]*Release(nil), rs...)
	sort.Slice(sorted, func(i, j int) bool { return less(sorted[i].Version, sorted[j].Version) })
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"apiVersion\": %q, \"kind\": %q, \"releases\": [\n", APIVersion, Kind)
	for i, r := range sorted {
		line, _ := json.Marshal(releaseJSON{Version: r.Version.String(), Date: r.Date, Components: r.Components, Source: r.Source})
		b.Write(line)
		if i < len(sorted)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}

// contradiction names the first component (by name) on which two rows of one
// release disagree, with both values, or says that they agree: either way the
// release is refused, since no rule picks one row over the other.
func contradiction(a, b *Release) string {
	names := make([]string, 0, len(a.Components)+len(b.Components))
	for n := range a.Components {
		names = append(names, n)
	}
	for n := range b.Components {
		if _, ok := a.Components[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	for _, n := range names {
		va, oka := a.Components[n]
		vb, okb := b.Components[n]
		if va != vb || oka != okb {
			return fmt.Sprintf(", which gives %s %s, this row %s", n, orNone(va, oka), orNone(vb, okb))
		}
	}
	return ", with the same components"
}

func orNone(v string, ok bool) string {
	if !ok {
		return "none"
	}
	return v
}

// less orders by distribution, then release.
func less(a, b version.Version) bool {
	if a.Distro != b.Distro {
		return a.Distro < b.Distro
	}
	return a.Compare(b) < 0
}

// key identifies a release whatever its spelling ("v1.33.7+k3s3", "1.33.7+k3s3" and
// "v1.33.7+k3s03" are one release).
func key(v version.Version) string {
	b := make([]byte, 0, 32)
	b = strconv.AppendUint(b, v.Major, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Minor, 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, v.Patch, 10)
	if v.PreRelease != "" {
		b = append(append(b, '-'), v.PreRelease...)
	}
	b = append(append(b, '+'), v.Distro...)
	return string(strconv.AppendInt(b, int64(v.Revision), 10))
}

// jsonProblem says where JSON went wrong, without echoing the input at length.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON at byte %d: %v", syntax.Offset, err)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Sprintf("the document is a JSON %s, not an object with a \"releases\" list", typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s: a JSON %s where it takes another type", typ.Field, typ.Value)
	case errors.Is(err, io.EOF):
		return "empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	return clip(err.Error())
}

// clip keeps outside text short and on one line in messages.
func clip(s string) string {
	const max = 60
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.ToValidUTF8(s, "?")
}
