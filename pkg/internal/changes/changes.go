// Package changes turns API watches into one wake-up channel, for waits that judge
// the cluster again at each change instead of on a timer.
package changes

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/watch"
)

// Opener opens one watch; it is called again when the server ends the watch.
type Opener func(ctx context.Context) (watch.Interface, error)

// reopenAfter spaces the re-opening of a watch the server ended, so that a server
// that ends every watch at once is not asked again in a tight loop.
const reopenAfter = time.Second

// Watch wakes the returned channel at each event of any of the watches until ctx
// ends. Wake-ups are coalesced: a burst of events is one wake-up, so a waiter costs
// one evaluation per burst. A watch that cannot be opened (not allowed, not served)
// is left out: the waiter's own resync still sees the change, only later.
func Watch(ctx context.Context, open ...Opener) <-chan struct{} {
	wake := make(chan struct{}, 1)
	poke := func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	for _, o := range open {
		go follow(ctx, o, poke)
	}
	return wake
}

func follow(ctx context.Context, open Opener, poke func()) {
	for ctx.Err() == nil {
		w, err := open(ctx)
		if err != nil {
			return
		}
		for range w.ResultChan() {
			poke()
		}
		w.Stop()
		select {
		case <-ctx.Done():
		case <-time.After(reopenAfter):
		}
	}
}

// Until calls check at once and again at each wake-up (and at least every resync,
// for what only time changes) until check reports nothing left to wait for ("")
// or fails, ctx ends, or the deadline passes; then it returns timedOut with what
// was still awaited.
func Until(ctx context.Context, wake <-chan struct{}, resync time.Duration, deadline time.Time, check func() (string, error)) (waiting string, err error) {
	for {
		waiting, err = check()
		if err != nil || waiting == "" {
			return waiting, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return waiting, ErrDeadline
		}
		t := time.NewTimer(min(left, resync))
		select {
		case <-ctx.Done():
			t.Stop()
			return waiting, ctx.Err()
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// ErrDeadline is Until's error when the deadline passed with something still awaited.
var ErrDeadline = deadlineError{}

type deadlineError struct{}

func (deadlineError) Error() string { return "deadline passed" }
