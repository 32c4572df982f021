package fleet

import (
	"context"
	"fmt"
	"sync"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// nextStep plans the path of one cluster to the channel, for its row.
func nextStep(ctx context.Context, r *report.CheckReport, name string, lists *channelCache) *report.NextStep {
	next := &report.NextStep{Channel: name}
	list, err := lists.get(ctx, r.Cluster.Distro)
	if err != nil {
		next.Error = oneLine(err.Error())
		return next
	}
	p, err := upgradepath.Find(upgradepath.Request{Inventory: r.Cluster, Channel: name, Channels: list})
	if err != nil {
		next.Error = oneLine(err.Error())
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
// clusters of that distro the fleet has. The fetch runs under the run's context, not
// the first asking cluster's: that cluster's deadline is no reason to fail the others.
type channelCache struct {
	fetch func(ctx context.Context, d version.Distro) (*channel.List, error)
	ctx   context.Context
	mu    sync.Mutex
	lists map[version.Distro]*channelFetch
}

type channelFetch struct {
	done chan struct{}
	list *channel.List
	err  error
}

// get waits for the distro's list, or for ctx (the asking cluster's deadline).
func (c *channelCache) get(ctx context.Context, d version.Distro) (*channel.List, error) {
	if c.fetch == nil {
		return nil, fmt.Errorf("no channel source")
	}
	c.mu.Lock()
	if c.lists == nil {
		c.lists = map[version.Distro]*channelFetch{}
	}
	f, ok := c.lists[d]
	if !ok {
		f = &channelFetch{done: make(chan struct{})}
		c.lists[d] = f
		go func() {
			defer close(f.done)
			f.list, f.err = c.fetch(c.ctx, d)
		}()
	}
	c.mu.Unlock()
	select {
	case <-f.done:
		return f.list, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("channel list of %s: %w", d, ctx.Err())
	}
}
