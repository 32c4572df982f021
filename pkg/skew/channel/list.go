// Package channel reads the release channels of K3s and RKE2 from a channel server
// (update.k3s.io, update.rke2.io, or a mirror) and resolves a channel to a version.
//
// The client is strict and bounded: it verifies TLS, limits time and size, retries
// only what may succeed on a second try, and gives every failure its own error that
// names the URL. It prints nothing and knows nothing of the command line.
package channel

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// Default is the channel the K3s and RKE2 installers use when none is given.
const Default = "stable"

// Channel is one release channel: a name and the version it points at now.
type Channel struct {
	Name string
	// Latest is the version as the server wrote it; empty when the channel has none
	// (the testing channel often has none).
	Latest string
	// Version is Latest parsed; nil when Latest is empty or not a version.
	Version *version.Version
	// LatestError says why Latest did not parse.
	LatestError string
}

// List is the channel list one server answered.
type List struct {
	// URL is where the list came from, for messages.
	URL      string
	Channels []Channel
}

// Get returns the channel with that name.
func (l *List) Get(name string) (Channel, bool) {
	for _, c := range l.Channels {
		if c.Name == name {
			return c, true
		}
	}
	return Channel{}, false
}

// Resolve returns the version a channel points at, or an error that says why it has none.
func (l *List) Resolve(name string) (version.Version, error) {
	op := fmt.Sprintf("resolve channel %q", name)
	c, ok := l.Get(name)
	if !ok {
		return version.Version{}, &Error{Op: op, URL: l.URL, Kind: ErrUnknownChannel,
			Detail: "the server lists " + l.names(),
			Fix:    "pick one of those, or give an exact --version"}
	}
	if c.Latest == "" {
		return version.Version{}, &Error{Op: op, URL: l.URL, Kind: ErrNoLatest,
			Fix: "pick another channel, or give an exact --version"}
	}
	if c.Version == nil {
		return version.Version{}, &Error{Op: op, URL: l.URL, Kind: ErrBadLatest,
			Detail: c.LatestError, Fix: "check the channel server's configuration"}
	}
	return *c.Version, nil
}

// MinorChannelName is the name of the channel that follows one minor: "v1.32".
func MinorChannelName(m version.MinorVersion) string { return m.String() }

// ForMinor resolves the channel of one minor ("v1.32") to its newest release.
func (l *List) ForMinor(m version.MinorVersion) (version.Version, error) {
	v, err := l.Resolve(MinorChannelName(m))
	if err != nil {
		return version.Version{}, err
	}
	if v.MinorVersion() != m {
		return version.Version{}, &Error{Op: fmt.Sprintf("resolve channel %q", m), URL: l.URL,
			Kind: ErrBadLatest, Detail: fmt.Sprintf("it points at %s, another minor", v),
			Fix: "check the channel server's configuration"}
	}
	return v, nil
}

// Contains reports whether some channel points at exactly v.
func (l *List) Contains(v version.Version) bool {
	for _, c := range l.Channels {
		if c.Version != nil && c.Version.Equal(v) {
			return true
		}
	}
	return false
}

// names lists the channel names for an error message, sorted, bounded.
func (l *List) names() string {
	if len(l.Channels) == 0 {
		return "no channels"
	}
	names := make([]string, 0, len(l.Channels))
	for _, c := range l.Channels {
		names = append(names, c.Name)
	}
	sort.Strings(names)
	const max = 12
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}
