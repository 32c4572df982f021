// Package fleet checks many clusters in one run: every kubeconfig context of a fleet
// at once, each within its own deadline, so that the run takes about as long as its
// slowest cluster and a cluster that never answers holds up no other. A cluster that
// cannot be read is a row with its error, never the end of the run.
package fleet

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// CheckFunc reads and judges the cluster of one context. server is the apiserver's
// URL for the row, when it is known, also with an error.
type CheckFunc func(ctx context.Context, name string) (r *report.CheckReport, server string, err error)

// Config is one fleet run.
type Config struct {
	// Contexts are the kubeconfig contexts to check.
	Contexts []string
	// Parallel is how many contexts are checked at once; 0 picks Workers for the
	// number of contexts and this workstation's limits.
	Parallel int
	// Timeout bounds each context on its own; 0 leaves it to Check and the parent.
	Timeout time.Duration
	// Check reads one context; it must return soon after its ctx is done.
	Check CheckFunc
	// FailOn is the severity at or above which a cluster fails.
	FailOn policy.Severity
	// Channel, when set, adds each K3s/RKE2 cluster's next target on this release
	// channel; Channels fetches a distribution's list (once per run and distribution).
	Channel  string
	Channels func(ctx context.Context, d version.Distro) (*channel.List, error)
}

// lateGrace is how long a context past its deadline is given to return its own
// error (which names what it was waiting for) before the run reports it as silent.
const lateGrace = 250 * time.Millisecond

// Run checks every context of cfg and returns the rows worst first. Its error is
// only that ctx ended before every context was checked.
func Run(ctx context.Context, cfg Config) (*report.CheckReportList, error) {
	workers := cfg.Parallel
	if workers <= 0 {
		workers = Workers(len(cfg.Contexts), HostLimits())
	}
	lists := &channelCache{fetch: cfg.Channels, ctx: ctx}
	items := make([]report.CheckReport, len(cfg.Contexts))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, name := range cfg.Contexts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				items[i] = failed(name, "", cfg.FailOn, ctx.Err())
				return
			}
			defer func() { <-sem }()
			items[i] = checkOne(ctx, cfg, name, lists)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fleet check interrupted: %w", err)
	}
	return Report(items, cfg.FailOn, cfg.Channel), nil
}

// outcome is what one context's Check returned.
type outcome struct {
	r      *report.CheckReport
	server string
	err    error
}

// checkOne checks one context within cfg.Timeout. It does not wait on a Check that
// overstays its deadline: the row says so and the worker moves on.
func checkOne(parent context.Context, cfg Config, name string, lists *channelCache) report.CheckReport {
	ctx, cancel := parent, context.CancelFunc(func() {})
	if cfg.Timeout > 0 {
		ctx, cancel = context.WithTimeout(parent, cfg.Timeout)
	}
	defer cancel()
	done := make(chan outcome, 1)
	go func() {
		r, server, err := cfg.Check(ctx, name)
		done <- outcome{r, server, err}
	}()
	var o outcome
	select {
	case o = <-done:
	case <-ctx.Done():
		select {
		case o = <-done:
		case <-time.After(lateGrace):
			return failed(name, "", cfg.FailOn, fmt.Errorf("no answer within %s: %w", cfg.Timeout, ctx.Err()))
		}
	}
	if o.err == nil && o.r == nil {
		o.err = fmt.Errorf("no report")
	}
	if o.err != nil {
		return failed(name, o.server, cfg.FailOn, o.err)
	}
	r := o.r
	r.Context, r.Server = name, o.server
	if cfg.Channel != "" && r.Cluster != nil && r.Cluster.Distro.IsRancherDistro() {
		r.Next = nextStep(ctx, r, cfg.Channel, lists)
	}
	return *r
}

// failed is the row of a context that could not be checked.
func failed(name, server string, failOn policy.Severity, err error) report.CheckReport {
	r := report.NewCheckReport()
	r.Context, r.Server, r.Error = name, server, oneLine(err.Error())
	r.Summary.FailOn = string(failOn)
	return *r
}

// oneLine keeps an error to the one line of its row.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
