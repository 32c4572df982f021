package preflight

import (
	"errors"
	"fmt"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/internal/text"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/deprecation"
)

func checkDeprecated(v verdicts, f *Facts, o Options) {
	if f.Path == nil || len(f.Path.Hops) == 0 {
		v.add(CheckDeprecated, Skipped, "no hop to check", "")
		return
	}
	if errors.Is(f.MetricsErr, ErrNoMetricsClient) {
		v.add(CheckDeprecated, Skipped, f.MetricsErr.Error(), "")
		return
	}
	if f.MetricsErr != nil {
		v.add(CheckDeprecated, Skipped, "cannot read /metrics: "+reason(f.MetricsErr)+"; whether a removed API is still in use is unknown",
			"ask for get on the nonResourceURL /metrics to have this checked")
		return
	}
	m, err := deprecation.ParseMetrics(f.Metrics)
	if err != nil {
		v.add(CheckDeprecated, Skipped, err.Error(), "")
		return
	}
	from := f.Path.LowestServer.MinorVersion()
	to := f.Path.Target.MinorVersion()
	since := "since the apiserver that answered started"
	if !m.Started.IsZero() {
		since = fmt.Sprintf("in the %s since the apiserver that answered started", text.Age(o.Now.Sub(m.Started)))
	}
	removed := m.RemovedBetween(from, to)
	if len(removed) == 0 {
		v.add(CheckDeprecated, Pass, fmt.Sprintf("no API that %s to %s removes was requested %s", from.Add(1), to, since), "")
		return
	}
	list := make([]string, 0, len(removed))
	for _, d := range removed {
		list = append(list, fmt.Sprintf("%s (removed in v%s)", d.GVR(), d.RemovedRelease))
	}
	msg := fmt.Sprintf("requested %s and removed on the way to %s: %s", since, to, strings.Join(list, ", "))
	fix := "move the clients of these APIs to their replacements before the hop that removes them (kubectl get --raw /metrics | grep apiserver_requested_deprecated_apis)"
	if o.Strict {
		v.add(CheckDeprecated, Fail, msg, fix)
		return
	}
	v.add(CheckDeprecated, Warn, msg, fix+"; --strict makes this a failure")
}
