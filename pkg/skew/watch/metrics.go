package watch

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
)

// Metric names; docs/watch.md describes each (a test keeps the two in step).
const (
	MetricFindings           = "kubectl_skew_findings"
	MetricFindingsSeverity   = "kubectl_skew_findings_by_severity"
	MetricWorstSeverity      = "kubectl_skew_worst_severity"
	MetricAPIServerMinor     = "kubectl_skew_apiserver_minor"
	MetricKubeletOldest      = "kubectl_skew_kubelet_oldest_minor"
	MetricNodes              = "kubectl_skew_nodes"
	MetricTargetFindings     = "kubectl_skew_target_findings"
	MetricLastEvaluation     = "kubectl_skew_last_evaluation_timestamp_seconds"
	labelID, labelSeverity   = "id", "severity"
	labelSubject, labelBound = "subject", "bound"
	labelTarget              = "target"
)

// severityValue is what kubectl_skew_worst_severity reports: 0 none, 1 info,
// 2 warning, 3 error, so that `>= 3` alerts on errors.
func severityValue(s policy.Severity) float64 { return float64(s.Rank() + 1) }

// Collector exports a Watcher's latest State. It builds the metrics from the State
// at every scrape, so a finding that went away has no series left: nothing is a
// gauge set once and forgotten.
type Collector struct {
	w *Watcher

	findings, bySeverity, worst, apiserver, kubelet, nodes, target, last *prometheus.Desc
}

// NewCollector returns the collector of w.
func NewCollector(w *Watcher) *Collector {
	return &Collector{
		w: w,
		findings: prometheus.NewDesc(MetricFindings,
			"Skew findings by ID, severity and subject (1 per finding), as kubectl skew check reports them.",
			[]string{labelID, labelSeverity, labelSubject}, nil),
		bySeverity: prometheus.NewDesc(MetricFindingsSeverity,
			"Number of skew findings of each severity.", []string{labelSeverity}, nil),
		worst: prometheus.NewDesc(MetricWorstSeverity,
			"Worst severity among the findings: 0 none, 1 info, 2 warning, 3 error.", nil, nil),
		apiserver: prometheus.NewDesc(MetricAPIServerMinor,
			"Minor version of the oldest and newest kube-apiserver (bound=oldest|newest).", []string{labelBound}, nil),
		kubelet: prometheus.NewDesc(MetricKubeletOldest,
			"Minor version of the oldest kubelet.", nil, nil),
		nodes: prometheus.NewDesc(MetricNodes, "Number of nodes evaluated.", nil, nil),
		target: prometheus.NewDesc(MetricTargetFindings,
			"Findings a control plane at --target would add, by target, ID, severity and subject (1 per finding).",
			[]string{labelTarget, labelID, labelSeverity, labelSubject}, nil),
		last: prometheus.NewDesc(MetricLastEvaluation,
			"Unix time of the last evaluation of the policy, in seconds.", nil, nil),
	}
}

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.findings, c.bySeverity, c.worst, c.apiserver, c.kubelet, c.nodes, c.target, c.last} {
		ch <- d
	}
}

// Collect sends the metrics of the latest State; nothing before the first evaluation.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.w.State()
	if s == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	// Two findings may share ID and subject (an unreadable version of two components
	// on one node): one series, counting both.
	for k, n := range countFindings(s.Findings) {
		gauge(c.findings, float64(n), k[0], k[1], k[2])
	}
	for k, n := range countFindings(s.TargetFindings) {
		gauge(c.target, float64(n), s.Target, k[0], k[1], k[2])
	}
	bySeverity := map[policy.Severity]int{}
	for _, f := range s.Findings {
		bySeverity[f.Severity]++
	}
	for _, sev := range []policy.Severity{policy.Error, policy.Warning, policy.Info} {
		gauge(c.bySeverity, float64(bySeverity[sev]), string(sev))
	}
	gauge(c.worst, worstValue(s))
	if m := s.APIServerMinors; m != nil {
		gauge(c.apiserver, float64(m[0].Minor), "oldest")
		gauge(c.apiserver, float64(m[1].Minor), "newest")
	}
	if s.KubeletMinor != nil {
		gauge(c.kubelet, float64(s.KubeletMinor.Minor))
	}
	gauge(c.nodes, float64(s.Nodes))
	gauge(c.last, float64(s.Evaluated.UnixNano())/1e9)
}

func worstValue(s *State) float64 {
	w := s.Worst()
	if w == "" {
		return 0
	}
	return severityValue(w)
}

func countFindings(fs []policy.Finding) map[[3]string]int {
	out := make(map[[3]string]int, len(fs))
	for _, f := range fs {
		out[[3]string{f.ID, string(f.Severity), f.Subject}]++
	}
	return out
}
