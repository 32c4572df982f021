package upgrade

import (
	"context"
	"errors"
	"fmt"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// ResolvePath plans req's path. An explicit version within one minor needs no
// channel server: the list is fetched for a channel, when fetch is set (the user
// named a server), or when the path turns out to cross minors.
func ResolvePath(ctx context.Context, req upgradepath.Request, src ChannelSource, fetch bool) (*upgradepath.Path, *channel.List, error) {
	list := func() (*channel.List, error) {
		if src == nil {
			return nil, errors.New("no channel server is configured")
		}
		return src.List(ctx, req.Inventory.Distro)
	}
	var err error
	if req.Inventory != nil && (req.Channel != "" || fetch) {
		if req.Channels, err = list(); err != nil {
			return nil, nil, err
		}
	}
	path, err := upgradepath.Find(req)
	if errors.Is(err, upgradepath.ErrNeedChannels) && req.Channels == nil {
		l, listErr := list()
		if listErr != nil {
			return nil, nil, fmt.Errorf("%w; and the channel list could not be read: %w", err, listErr)
		}
		req.Channels = l
		path, err = upgradepath.Find(req)
	}
	if err != nil {
		return nil, nil, err
	}
	return path, req.Channels, nil
}
