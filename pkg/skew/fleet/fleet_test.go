package fleet

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/channel"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// row is a readable cluster's report with the given counts.
func row(errs, warns int) *report.CheckReport {
	r := report.NewCheckReport()
	r.Summary.Errors, r.Summary.Warnings, r.Summary.Failed = errs, warns, errs > 0
	return r
}

func TestRunOrdersWorstFirstAndCounts(t *testing.T) {
	reports := map[string]*report.CheckReport{"clean": row(0, 0), "warns": row(0, 2), "bad": row(3, 0), "worse": row(5, 1)}
	list, err := Run(context.Background(), Config{
		Contexts: []string{"clean", "broken", "warns", "bad", "worse"},
		FailOn:   policy.Error,
		Check: func(_ context.Context, name string) (*report.CheckReport, string, error) {
			if name == "broken" {
				return nil, "https://broken:6443", errors.New("list nodes:\n  connection refused")
			}
			return reports[name], "https://" + name + ":6443", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, it := range list.Items {
		order = append(order, it.Context)
	}
	if got := strings.Join(order, " "); got != "broken worse bad warns clean" {
		t.Errorf("order %q", got)
	}
	if e := list.Items[0]; e.Error != "list nodes: connection refused" || e.Server != "https://broken:6443" || e.Summary.FailOn != "error" {
		t.Errorf("failed row %+v", e)
	}
	if s := list.Summary; s.Contexts != 5 || s.Unreadable != 1 || s.Failing != 2 || s.Clean != 2 {
		t.Errorf("summary %+v", s)
	}
	if list.Items[1].Server != "https://worse:6443" {
		t.Errorf("a readable row keeps its server: %+v", list.Items[1])
	}
}

func TestRunBoundsParallelism(t *testing.T) {
	for _, tc := range []struct{ parallel, contexts, want int }{{3, 10, 3}, {0, 10, 10}, {1, 4, 1}} {
		var now, peak atomic.Int32
		names := make([]string, tc.contexts)
		for i := range names {
			names[i] = fmt.Sprint("ctx-", i)
		}
		_, err := Run(context.Background(), Config{
			Contexts: names, Parallel: tc.parallel,
			Check: func(context.Context, string) (*report.CheckReport, string, error) {
				n := now.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(30 * time.Millisecond)
				now.Add(-1)
				return row(0, 0), "", nil
			},
		})
		if err != nil || int(peak.Load()) != tc.want {
			t.Errorf("--parallel %d over %d contexts: %d at once (%v), want %d", tc.parallel, tc.contexts, peak.Load(), err, tc.want)
		}
	}
}

// A context that never answers, even one that ignores its deadline, holds up no other
// beyond the timeout, and its row says why.
func TestRunSilentContextsEndAtTheTimeout(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	start := time.Now()
	list, err := Run(context.Background(), Config{
		Contexts: []string{"stalls", "deaf", "fine"},
		Timeout:  200 * time.Millisecond,
		Check: func(ctx context.Context, name string) (*report.CheckReport, string, error) {
			switch name {
			case "stalls": // honours its context
				<-ctx.Done()
				return nil, "https://stalls:6443", fmt.Errorf("list nodes: %w", ctx.Err())
			case "deaf": // ignores it
				<-block
			}
			return row(0, 0), "", nil
		},
	})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > 200*time.Millisecond+lateGrace+time.Second {
		t.Errorf("the run took %v with a 200ms timeout per context", took)
	}
	got := map[string]string{}
	for _, it := range list.Items {
		got[it.Context] = it.Error
	}
	if !strings.Contains(got["stalls"], "list nodes: context deadline exceeded") {
		t.Errorf("stalls: %q", got["stalls"])
	}
	if !strings.Contains(got["deaf"], "no answer within 200ms") {
		t.Errorf("deaf: %q", got["deaf"])
	}
	if got["fine"] != "" {
		t.Errorf("fine: %q", got["fine"])
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Run(ctx, Config{
		Contexts: []string{"a", "b", "c"}, Parallel: 1,
		Check: func(ctx context.Context, _ string) (*report.CheckReport, string, error) {
			cancel()
			<-ctx.Done()
			return nil, "", ctx.Err()
		},
	})
	if err == nil || !strings.Contains(err.Error(), "fleet check interrupted") {
		t.Errorf("err = %v", err)
	}
}

func TestRunFetchesEachChannelListOnce(t *testing.T) {
	var fetches sync.Map
	var calls atomic.Int32
	k3s := func() *report.CheckReport {
		r := row(0, 0)
		r.Cluster = &cluster.Inventory{Distro: version.K3s}
		return r
	}
	list, err := Run(context.Background(), Config{
		Contexts: []string{"a", "b", "c", "d"},
		Channel:  "stable",
		Channels: func(_ context.Context, d version.Distro) (*channel.List, error) {
			calls.Add(1)
			fetches.Store(d, true)
			return nil, errors.New("channel server down")
		},
		Check: func(context.Context, string) (*report.CheckReport, string, error) { return k3s(), "", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 1 {
		t.Errorf("%d fetches for one distro, want 1", calls.Load())
	}
	for _, it := range list.Items {
		if it.Next == nil || it.Next.Channel != "stable" || it.Next.Error != "channel server down" {
			t.Errorf("row %s next %+v", it.Context, it.Next)
		}
	}
}
