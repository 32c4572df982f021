package changes

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/watch"
)

// A change seen by a watch wakes the waiter at once, long before its resync.
func TestUntilWakesOnAChange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fw := watch.NewFake()
	wake := Watch(ctx, func(context.Context) (watch.Interface, error) { return fw, nil })
	var ready atomic.Bool
	go func() {
		time.Sleep(50 * time.Millisecond)
		ready.Store(true)
		fw.Add(nil)
	}()
	start := time.Now()
	waiting, err := Until(ctx, wake, time.Hour, time.Now().Add(time.Hour), func() (string, error) {
		if !ready.Load() {
			return "not yet", nil
		}
		return "", nil
	})
	if err != nil || waiting != "" {
		t.Fatalf("Until = %q, %v", waiting, err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("woke after %s: the change did not wake the waiter", took)
	}
}

func TestUntilEnds(t *testing.T) {
	never := func() (string, error) { return "the node", nil }
	boom := errors.New("boom")
	for _, tc := range []struct {
		name  string
		check func() (string, error)
		want  error
	}{
		{"deadline", never, ErrDeadline},
		{"check fails", func() (string, error) { return "", boom }, boom},
		{"nothing to wait for", func() (string, error) { return "", nil }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Until(context.Background(), make(chan struct{}), 10*time.Millisecond, time.Now().Add(30*time.Millisecond), tc.check)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Until: %v, want %v", err, tc.want)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Until(ctx, make(chan struct{}), time.Hour, time.Now().Add(time.Hour), never); !errors.Is(err, context.Canceled) {
		t.Fatalf("Until after cancel: %v", err)
	}
}

// A watch that cannot be opened is left out; the others still wake.
func TestWatchSkipsAWatchThatCannotOpen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fw := watch.NewFake()
	wake := Watch(ctx,
		func(context.Context) (watch.Interface, error) { return nil, errors.New("forbidden") },
		func(context.Context) (watch.Interface, error) { return fw, nil })
	go fw.Add(nil)
	select {
	case <-wake:
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up from the watch that opened")
	}
}
