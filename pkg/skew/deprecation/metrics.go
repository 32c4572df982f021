// Package deprecation finds the deprecated APIs a cluster still uses that a target
// release removes.
package deprecation

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// The apiserver's gauge of deprecated APIs requested since it started (docs/domain.md).
const (
	metricDeprecated   = "apiserver_requested_deprecated_apis"
	metricProcessStart = "process_start_time_seconds"
)

// DeprecatedAPI is one deprecated API some client requested.
type DeprecatedAPI struct {
	Group, Version, Resource, Subresource string
	// RemovedRelease is the minor that removes it ("1.32"); empty when none is planned.
	RemovedRelease string
	removed        *version.MinorVersion
}

// GVR is "ingresses.v1beta1.extensions" (kubectl's spelling), with a subresource.
func (d DeprecatedAPI) GVR() string {
	s := d.Resource + "." + d.Version
	if d.Group != "" {
		s += "." + d.Group
	}
	if d.Subresource != "" {
		s += "/" + d.Subresource
	}
	return s
}

// Metrics is what one apiserver's /metrics says about deprecated APIs.
type Metrics struct {
	Deprecated []DeprecatedAPI
	// Started is when the apiserver that answered started: the gauge covers only the
	// requests since then. Zero when the metric is absent.
	Started time.Time
}

// ParseMetrics reads the Prometheus text format, keeping the two metrics we need.
// Lines it does not understand are skipped: the format grows, the check must not break.
func ParseMetrics(b []byte) (Metrics, error) {
	var m Metrics
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	seen := map[string]bool{}
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		switch {
		case bytes.HasPrefix(line, []byte(metricDeprecated+"{")):
			labels, value, ok := parseSample(string(line[len(metricDeprecated):]))
			if !ok || value == 0 {
				continue
			}
			d := DeprecatedAPI{Group: labels["group"], Version: labels["version"], Resource: labels["resource"],
				Subresource: labels["subresource"], RemovedRelease: labels["removed_release"]}
			if d.RemovedRelease != "" {
				if mv, err := version.ParseMinor(d.RemovedRelease); err == nil {
					d.removed = &mv
				}
			}
			key := d.GVR() + "@" + d.RemovedRelease
			if !seen[key] {
				seen[key] = true
				m.Deprecated = append(m.Deprecated, d)
			}
		case bytes.HasPrefix(line, []byte(metricProcessStart+" ")):
			v, err := strconv.ParseFloat(strings.TrimSpace(string(line[len(metricProcessStart):])), 64)
			if err == nil && v > 0 && !math.IsInf(v, 0) {
				sec, frac := math.Modf(v)
				m.Started = time.Unix(int64(sec), int64(frac*1e9)).UTC()
			}
		}
	}
	if err := sc.Err(); err != nil {
		return m, fmt.Errorf("read /metrics: %w", err)
	}
	sort.Slice(m.Deprecated, func(i, j int) bool { return m.Deprecated[i].GVR() < m.Deprecated[j].GVR() })
	return m, nil
}

// RemovedBetween returns the requested APIs that a minor in (from, to] removes.
func (m Metrics) RemovedBetween(from, to version.MinorVersion) []DeprecatedAPI {
	var out []DeprecatedAPI
	for _, d := range m.Deprecated {
		if d.removed != nil && d.removed.Compare(from) > 0 && d.removed.Compare(to) <= 0 {
			out = append(out, d)
		}
	}
	return out
}

// parseSample reads `{k="v",...} value [timestamp]`.
func parseSample(s string) (map[string]string, float64, bool) {
	if !strings.HasPrefix(s, "{") {
		return nil, 0, false
	}
	labels := map[string]string{}
	i := 1
	for i < len(s) && s[i] != '}' {
		for i < len(s) && (s[i] == ',' || s[i] == ' ') {
			i++
		}
		if i < len(s) && s[i] == '}' {
			break
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 || i+eq+1 >= len(s) || s[i+eq+1] != '"' {
			return nil, 0, false
		}
		key := strings.TrimSpace(s[i : i+eq])
		i += eq + 2
		var val strings.Builder
		for ; i < len(s) && s[i] != '"'; i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(s[i])
				}
				continue
			}
			val.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, 0, false
		}
		i++ // closing quote
		labels[key] = val.String()
	}
	if i >= len(s) {
		return nil, 0, false
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) == 0 {
		return nil, 0, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return nil, 0, false
	}
	return labels, v, true
}
