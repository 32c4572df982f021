package check

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// fleetFlags turn "check" into the fleet view: many kubeconfig contexts in one run.
type fleetFlags struct {
	AllContexts    bool
	Contexts       []string
	Parallel       int
	ContextTimeout time.Duration
	Channel        string
	ChannelServer  string

	channelServers map[version.Distro]string
}

func (f *fleetFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.AllContexts, "all-contexts", false, "Check every context of the kubeconfig, concurrently")
	cmd.Flags().StringSliceVar(&f.Contexts, "contexts", nil, "Check these contexts (comma-separated; globs such as prod-* allowed), concurrently")
	cmd.Flags().IntVar(&f.Parallel, "parallel", 8, "With --all-contexts/--contexts: how many clusters to check at once")
	cmd.Flags().DurationVar(&f.ContextTimeout, "context-timeout", 60*time.Second, "With --all-contexts/--contexts: how long one cluster may take before it is reported as failed")
	cmd.Flags().StringVar(&f.Channel, "channel", "", "With --all-contexts/--contexts: show each K3s/RKE2 cluster's next target on this release channel (e.g. stable) and its hops")
	cmd.Flags().StringVar(&f.ChannelServer, "channel-server", "", "With --channel: channel list URLs for mirrors, per distro (k3s=URL,rke2=URL) or one URL for all; default update.k3s.io and update.rke2.io")
	_ = cmd.RegisterFlagCompletionFunc("channel", cmdutil.FixedCompletion("stable", "latest", "testing"))
}

// enabled reports whether the fleet view was asked for.
func (f *fleetFlags) enabled() bool { return f.AllContexts || len(f.Contexts) > 0 }

func (f *fleetFlags) Validate(changed func(string) bool) error {
	if !f.enabled() {
		for _, name := range []string{"parallel", "context-timeout", "channel", "channel-server"} {
			if changed(name) {
				return fmt.Errorf("--%s works with --all-contexts or --contexts; for one cluster use kubectl skew plan", name)
			}
		}
		return nil
	}
	switch {
	case f.AllContexts && len(f.Contexts) > 0:
		return fmt.Errorf("--all-contexts and --contexts exclude each other: pick one")
	case changed("context"):
		return fmt.Errorf("--context picks one cluster; with --all-contexts or --contexts leave it out")
	case f.Parallel < 1:
		return fmt.Errorf("--parallel %d: use 1 or more", f.Parallel)
	case f.ContextTimeout <= 0:
		return fmt.Errorf("--context-timeout %s: use a positive duration such as 60s", f.ContextTimeout)
	case f.ChannelServer != "" && f.Channel == "":
		return fmt.Errorf("--channel-server needs --channel")
	}
	for _, p := range f.Contexts {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("--contexts %q: bad pattern: %w", p, err)
		}
	}
	servers, err := parseChannelServers(f.ChannelServer)
	if err != nil {
		return err
	}
	f.channelServers = servers
	return nil
}

// parseChannelServers reads --channel-server: "URL" for every distro, or
// "k3s=URL,rke2=URL". A fleet mixes distributions, and each has its own channel server.
func parseChannelServers(s string) (map[version.Distro]string, error) {
	out := map[version.Distro]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	if !strings.Contains(s, "=") {
		for _, d := range []version.Distro{version.K3s, version.RKE2} {
			out[d] = strings.TrimSpace(s)
		}
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		name, url, ok := strings.Cut(part, "=")
		d, err := version.ParseDistro(name)
		if !ok || err != nil || d == version.Other || strings.TrimSpace(url) == "" {
			return nil, fmt.Errorf("--channel-server %q: use k3s=URL,rke2=URL or a single URL", part)
		}
		out[d] = strings.TrimSpace(url)
	}
	return out, nil
}

// selectContexts resolves --all-contexts / --contexts against the kubeconfig's contexts.
func (f *fleetFlags) selectContexts(all []string) ([]string, error) {
	if len(all) == 0 {
		return nil, fmt.Errorf("the kubeconfig has no contexts; set --kubeconfig or KUBECONFIG")
	}
	if f.AllContexts {
		return all, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range f.Contexts {
		p = strings.TrimSpace(p)
		matched := false
		for _, name := range all {
			if ok, _ := path.Match(p, name); ok {
				matched = true
				if !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
		}
		if !matched {
			return nil, fmt.Errorf("--contexts: no context matches %q; 'kubectl config get-contexts' lists them", p)
		}
	}
	sort.Strings(out)
	return out, nil
}

// runFleet checks every selected context concurrently and prints one row per cluster.
func (o *CheckOptions) runFleet(ctx context.Context) error {
	all, err := o.env.ContextNames()
	if err != nil {
		return err
	}
	names, err := o.fleet.selectContexts(all)
	if err != nil {
		return err
	}
	kubectl := o.startKubectlVersion(ctx)
	channels := &channelCache{servers: o.fleet.channelServers}
	items := make([]report.CheckReport, len(names))
	sem := make(chan struct{}, o.fleet.Parallel)
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			items[i] = o.checkContext(ctx, name, kubectl, channels)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("fleet check interrupted: %w", err)
	}
	list := fleetReport(items, o.failOn, o.fleet.Channel)
	if err := o.printFleet(list); err != nil {
		return err
	}
	switch {
	case list.Summary.Unreadable > 0:
		return fmt.Errorf("%d of %d contexts could not be checked (see their rows); fix access to them or leave them out with --contexts", list.Summary.Unreadable, list.Summary.Contexts)
	case list.Summary.Failing > 0:
		return &cmdutil.FindingsError{Count: list.Summary.Failing}
	}
	return nil
}

// checkContext checks one context within --context-timeout. It never fails: a cluster
// that cannot be read is a row with its error, so one broken context stops no other.
func (o *CheckOptions) checkContext(parent context.Context, name string, kubectl func() kubectlInfo, channels *channelCache) report.CheckReport {
	ctx, cancel := context.WithTimeout(parent, o.fleet.ContextTimeout)
	defer cancel()
	failed := func(server string, err error) report.CheckReport {
		r := report.NewCheckReport()
		r.Context, r.Server, r.Error = name, server, cmdutil.OneLine(err.Error())
		r.Summary.FailOn = string(o.failOn)
		return *r
	}
	c, err := o.env.ClientsFor(name)
	if err != nil {
		return failed("", err)
	}
	r, err := o.checkWith(ctx, c, kubectl)
	if err != nil {
		return failed(c.Server, err)
	}
	r.Context, r.Server = name, c.Server
	if o.fleet.Channel != "" && version.Distro(r.Cluster.Distro).IsRancherDistro() {
		r.Next = fleetNextStep(ctx, r, o.fleet.Channel, channels)
	}
	return *r
}

// fleetNextStep plans the path of one cluster to --channel, for its row.
func fleetNextStep(ctx context.Context, r *report.CheckReport, name string, channels *channelCache) *report.NextStep {
	next := &report.NextStep{Channel: name}
	list, err := channels.get(ctx, r.Cluster.Distro)
	if err != nil {
		next.Error = cmdutil.OneLine(err.Error())
		return next
	}
	p, err := upgradepath.Find(upgradepath.Request{Inventory: r.Cluster, Channel: name, Channels: list})
	if err != nil {
		next.Error = cmdutil.OneLine(err.Error())
		return next
	}
	next.Target = p.Target.String()
	for _, h := range p.Hops {
		next.Hops = append(next.Hops, h.To.String())
	}
	next.UpToDate = len(p.Hops) == 0
	next.Blocked = p.Blocked()
	return next
}

// channelCache fetches each distro's channel list once per run, however many
// clusters of that distro the fleet has.
type channelCache struct {
	servers map[version.Distro]string
	mu      sync.Mutex
	lists   map[version.Distro]*channelFetch
}

type channelFetch struct {
	once sync.Once
	list *channel.List
	err  error
}

func (c *channelCache) get(ctx context.Context, d version.Distro) (*channel.List, error) {
	c.mu.Lock()
	if c.lists == nil {
		c.lists = map[version.Distro]*channelFetch{}
	}
	f, ok := c.lists[d]
	if !ok {
		f = &channelFetch{}
		c.lists[d] = f
	}
	c.mu.Unlock()
	f.once.Do(func() {
		src := cmdutil.ChannelSource{URL: c.servers[d], Timeout: channel.DefaultTimeout}
		f.list, f.err = src.List(ctx, d)
	})
	return f.list, f.err
}

// fleetReport sorts the rows worst first and counts them.
func fleetReport(items []report.CheckReport, failOn policy.Severity, ch string) *report.CheckReportList {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if (a.Error != "") != (b.Error != "") {
			return a.Error != ""
		}
		if a.Summary.Errors != b.Summary.Errors {
			return a.Summary.Errors > b.Summary.Errors
		}
		if a.Summary.Warnings != b.Summary.Warnings {
			return a.Summary.Warnings > b.Summary.Warnings
		}
		return a.Context < b.Context
	})
	list := report.NewCheckReportList()
	list.Items = items
	s := &list.Summary
	s.Contexts, s.Channel, s.FailOn = len(items), ch, string(failOn)
	for _, it := range items {
		switch {
		case it.Error != "":
			s.Unreadable++
		case it.Summary.Failed:
			s.Failing++
		default:
			s.Clean++
		}
	}
	return list
}
