package check

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/fleet"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
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
	cmd.Flags().IntVar(&f.Parallel, "parallel", 0, "With --all-contexts/--contexts: how many clusters to check at once; 0: all of them, within the workstation's open-file and memory limits")
	cmd.Flags().DurationVar(&f.ContextTimeout, "context-timeout", 60*time.Second, "With --all-contexts/--contexts: how long one cluster may take before it is reported as failed; unset, a given --request-timeout")
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
	case f.Parallel < 0:
		return fmt.Errorf("--parallel %d: use 1 or more, or 0 for one per context", f.Parallel)
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
	list, err := fleet.Run(ctx, fleet.Config{
		Contexts: names,
		Parallel: o.fleet.Parallel,
		Timeout:  o.fleet.contextTimeout(o.changed, o.requestTimeout()),
		FailOn:   o.failOn,
		Channel:  o.fleet.Channel,
		Channels: func(ctx context.Context, d version.Distro) (*channel.List, error) {
			src := cmdutil.ChannelSource{URL: o.fleet.channelServers[d], Timeout: channel.DefaultTimeout}
			return src.List(ctx, d)
		},
		Check: func(ctx context.Context, name string) (*report.CheckReport, string, error) {
			c, err := o.env.ClientsFor(name)
			if err != nil {
				return nil, "", err
			}
			r, err := o.checkWith(ctx, c, kubectl)
			return r, c.Server, err
		},
	})
	if err != nil {
		return err
	}
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

// requestTimeout is kubectl's --request-timeout as given ("" when unset).
func (o *CheckOptions) requestTimeout() string {
	if o.env.Flags == nil || o.env.Flags.Timeout == nil || !o.changed("request-timeout") {
		return ""
	}
	return *o.env.Flags.Timeout
}

// contextTimeout is each context's deadline: --context-timeout when given, else a
// given --request-timeout (kubectl's form: a duration, or whole seconds; 0 is none),
// so that no cluster holds the run up past it; else --context-timeout's default.
func (f *fleetFlags) contextTimeout(changed func(string) bool, requestTimeout string) time.Duration {
	if changed("context-timeout") || requestTimeout == "" {
		return f.ContextTimeout
	}
	d, err := time.ParseDuration(requestTimeout)
	if n, nerr := strconv.ParseUint(requestTimeout, 10, 32); nerr == nil {
		d, err = time.Duration(n)*time.Second, nil
	}
	if err != nil || d <= 0 {
		return f.ContextTimeout
	}
	return d
}
