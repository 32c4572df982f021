package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/runrecord"
	"github.com/kubectl-skew/kubectl-skew/test/channelserver"
)

// The fault matrix (docs/reliability.md): an upgrade is started as an operator starts
// it, through kubectl plugin discovery; the test watches the cluster (and the node
// simulator's or Rancher simulator's log) for a point of the upgrade, strikes it with a
// fault there, runs the same command again (or abort), and checks the invariants.
// Nothing in the product knows about it: every trigger is read from outside.

// point is where in an upgrade a fault strikes.
type point string

const (
	atSnapshot     point = "after the snapshot"
	atWrite        point = "after a Plan or version write"
	atServerMoving point = "while a server moves"
	atServerBack   point = "right after a server is back"
	atBetweenHops  point = "between hops"
	atAgents       point = "while agents move"
)

// allPoints in the order an upgrade passes them.
var allPoints = []point{atSnapshot, atWrite, atServerMoving, atServerBack, atBetweenHops, atAgents}

// fault is what strikes.
type fault string

const (
	faultKill       fault = "SIGKILL of the plugin"
	faultInterrupt  fault = "SIGINT"
	faultAPIServer  fault = "kube-apiserver restart"
	faultController fault = "controller restart"
	// faultChannel ends the run (SIGKILL) and then changes the channel server before
	// the re-run: down on even runs of the square, a moved channel on odd ones.
	faultChannel fault = "channel server down or moved"
)

var allFaults = []fault{faultKill, faultInterrupt, faultAPIServer, faultController, faultChannel}

// faultScenario is one driver and cluster of the matrix.
type faultScenario struct {
	name string
	// label is the scenario's name in docs/reliability.md's table.
	label string
	// driver is suc, command or rancher; rancherCluster names an imported cluster.
	driver         string
	rancherCluster string
	// seed puts the cluster in place (the caller holds the sandbox).
	seed func(t *testing.T)
	// args is the upgrade command after `kubectl skew`, --wait included.
	args []string
	// abortArgs is the abort command after `kubectl skew`.
	abortArgs []string
	mid       string // the first hop's version
	target    string
	// points maps each point that applies to a test of "reached since mark".
	points map[point]func(t *testing.T, since, mark time.Time) bool
	// faults that apply (the controller restart needs a controller).
	faults []fault
	// restartController restarts SUC or the Rancher simulator.
	restartController func(t *testing.T)
	channels          *channelserver.Server
	// moved is the channel and the answer a moved channel gives.
	moved [2]string
	// bugs are runs of the square a product bug fails, by run number: skipped,
	// naming the bug, and shown as failing in docs/reliability.md.
	bugs map[int]string
	// check asserts the invariants over the whole run so far; final adds what must
	// hold once the run converged.
	check func(t *testing.T, since time.Time, final bool)
}

// faultRun is one `kubectl skew upgrade` in the background, in a process group of its
// own as a terminal's foreground job is: a fault signals the whole group.
type faultRun struct {
	cmd        *exec.Cmd
	stdout     syncBuffer
	stderr     bytes.Buffer
	errMu      sync.Mutex
	done       chan struct{}
	res        result
	start      time.Time
	cancel     context.CancelFunc
	signalSent string
}

func startFaultRun(t *testing.T, args []string) *faultRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	cmd := exec.CommandContext(ctx, env.sb.Tools.Kubectl, append([]string{"skew"}, args...)...)
	cmd.Env = []string{"PATH=" + env.path, "HOME=" + env.home, "KUBECONFIG=" + env.sb.Kubeconfig, "NO_COLOR=1", "LANG=C.UTF-8"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r := &faultRun{cmd: cmd, done: make(chan struct{}), start: time.Now(), cancel: cancel}
	cmd.Stdout = &r.stdout
	cmd.Stderr = lockedWriter{&r.errMu, &r.stderr}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() {
		err := cmd.Wait()
		r.errMu.Lock()
		r.res = result{stdout: r.stdout.String(), stderr: r.stderr.String(), took: time.Since(r.start)}
		r.errMu.Unlock()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			r.res.code = exit.ExitCode()
			if exit.ExitCode() < 0 {
				r.res.code = 128 + int(exit.Sys().(syscall.WaitStatus).Signal())
			}
		case err != nil:
			r.res.code = -1
		}
		cancel()
		close(r.done)
	}()
	return r
}

func (r *faultRun) exited() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

func (r *faultRun) wait(t *testing.T) result {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(4 * time.Minute):
		r.signal(syscall.SIGKILL)
		<-r.done
		t.Fatalf("the run did not end within 4 minutes:\n%s", r.res)
	}
	return r.res
}

// signal sends sig to the run's process group: kubectl execs the plugin in its own
// place, and a command the plugin runs (the command driver's) is in the group too.
func (r *faultRun) signal(sig syscall.Signal) {
	r.signalSent = sig.String()
	_ = syscall.Kill(-r.cmd.Process.Pid, sig)
}

// faultStep is one cell of a run of the square: the fault that strikes at a point,
// and whether the run ends with abort (then the same command) instead of a re-run.
type faultStep struct {
	at    point
	fault fault
}

// latinRuns arranges the scenario's cells in runs: run r strikes point i with fault
// (i+r) mod len(faults), so over len(faults) runs each (point, fault) pair is struck
// exactly once, without one upgrade per cell.
func latinRuns(sc *faultScenario) [][]faultStep {
	var pts []point
	for _, p := range allPoints {
		if sc.points[p] != nil {
			pts = append(pts, p)
		}
	}
	runs := make([][]faultStep, len(sc.faults))
	for r := range runs {
		for i, p := range pts {
			runs[r] = append(runs[r], faultStep{at: p, fault: sc.faults[(i+r)%len(sc.faults)]})
		}
	}
	return runs
}

// runFaultChain plays one run of the square: the upgrade, each fault at its point,
// re-runs in between, then (withAbort) abort, and the same command to the end.
func runFaultChain(t *testing.T, sc *faultScenario, steps []faultStep, runIndex int, withAbort bool) {
	t.Helper()
	since := time.Now()
	var restoreChannel []func()
	defer func() {
		// Newest first: each restore puts back what was served before its own move.
		for i := len(restoreChannel) - 1; i >= 0; i-- {
			restoreChannel[i]()
		}
		sc.channels.SetFault(channelserver.None)
	}()
	run := startFaultRun(t, sc.args)
	mark := since
	for _, st := range steps {
		reached := sc.points[st.at]
		deadline := time.Now().Add(2 * time.Minute)
		for !reached(t, since, mark) {
			if run.exited() {
				// The run ended before the point: a fault before may have stopped it with
				// one clear line; the operator runs the same command again.
				if r := run.wait(t); r.code == 0 {
					t.Fatalf("run %d: the upgrade finished before %q came:\n%s", runIndex, st.at, r)
				}
				ended(t, sc, run, "before "+string(st.at))
				run = startFaultRun(t, sc.args)
			}
			if time.Now().After(deadline) {
				run.signal(syscall.SIGKILL)
				t.Fatalf("run %d: %q never came within 2 minutes\n%s", runIndex, st.at, run.wait(t))
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Logf("run %d: %s: %s", runIndex, st.at, st.fault)
		// The fault strikes at once; the checks of this point come right after it (a
		// status read takes seconds on a loaded machine: the point would pass first).
		switch st.fault {
		case faultKill:
			run.signal(syscall.SIGKILL)
			ended(t, sc, run, string(st.fault))
			freeLease(t, sc)
			run = startFaultRun(t, sc.args)
		case faultInterrupt:
			run.signal(syscall.SIGINT)
			ended(t, sc, run, string(st.fault))
			run = startFaultRun(t, sc.args)
		case faultAPIServer:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			err := env.sb.RestartAPIServer(ctx)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
		case faultController:
			sc.restartController(t)
		case faultChannel:
			run.signal(syscall.SIGKILL)
			ended(t, sc, run, string(st.fault))
			freeLease(t, sc)
			if runIndex%2 == 0 {
				sc.channels.SetFault(channelserver.Down)
				r := skew(t, sc.args...)
				t.Logf("re-run with the channel server down: exit %d", r.code)
				if r.code != 0 {
					oneLine(t, r, "the channel server down")
				}
				sc.channels.SetFault(channelserver.None)
			} else {
				restoreChannel = append(restoreChannel, sc.channels.SetLatest(sc.moved[0], sc.moved[1]))
			}
			run = startFaultRun(t, sc.args)
		}
		mark = time.Now()
		checkStatusTells(t, sc)
		sc.check(t, since, false)
	}
	if withAbort {
		run.signal(syscall.SIGKILL)
		ended(t, sc, run, "the abort cell")
		a := skew(t, sc.abortArgs...)
		if a.code != 0 {
			t.Errorf("run %d: abort after the last fault: %s", runIndex, a)
		}
		t.Logf("run %d: abort: exit %d", runIndex, a.code)
		checkAborted(t, sc)
		freeLease(t, sc)
		run = startFaultRun(t, sc.args)
	}
	// The end: the same command until it converges; each stop must be one clear line.
	for attempt := 0; ; attempt++ {
		r := run.wait(t)
		if r.code == 0 {
			break
		}
		oneLine(t, r, "the last run")
		if attempt == 3 {
			t.Fatalf("run %d: no convergence after %d re-runs:\n%s", runIndex, attempt+1, r)
		}
		freeLease(t, sc)
		run = startFaultRun(t, sc.args)
	}
	settle(t)
	checkStatusTells(t, sc)
	sc.check(t, since, true)
}

// ended waits for a run the fault (or a fault before) ended and checks how: a
// signal's own exit, or one clear line on stderr.
func ended(t *testing.T, sc *faultScenario, run *faultRun, what string) {
	t.Helper()
	r := run.wait(t)
	switch {
	case r.code == 0:
	case run.signalSent == syscall.SIGKILL.String() && r.code == 128+int(syscall.SIGKILL):
	case run.signalSent == syscall.SIGINT.String() && r.code == 128+int(syscall.SIGINT) && r.stdout == "" && r.stderr == "":
		// Ctrl-C before the plugin started listening for it: gone, nothing said or done
	default:
		oneLine(t, r, what)
	}
}

// oneLine: a run that stops says why in one line on stderr (a signal-ended run's
// own line included), never a stack trace; warnings said before it began aside.
func oneLine(t *testing.T, r result, what string) {
	t.Helper()
	var errs []string
	for _, l := range lines(r.stderr) {
		switch {
		case strings.HasPrefix(l, "warning: "):
			// said before the run began (no snapshot, say), not why it stopped
		default:
			errs = append(errs, l)
		}
	}
	msg := strings.Join(errs, "\n")
	if len(errs) != 1 || strings.Contains(msg, "goroutine ") || strings.Contains(msg, "panic") {
		t.Errorf("after %s the run did not stop with one clear line (exit %d):\n%s", what, r.code, r)
	}
}

// freeLease plays the minute an operator waits after a run was killed: a killed
// command-driver run keeps its Lease until it expires (LeaseDuration), and a re-run
// before refuses, naming the holder. The test ages the Lease instead of sleeping.
func freeLease(t *testing.T, sc *faultScenario) {
	t.Helper()
	ctx := context.Background()
	l, err := env.sb.Client.CoordinationV1().Leases(runrecord.DefaultNamespace).Get(ctx, runrecord.Name, metav1.GetOptions{})
	if err != nil || l.Spec.RenewTime == nil {
		return
	}
	if held, err := runrecord.Holder(ctx, env.sb.Client, runrecord.DefaultNamespace, time.Now()); err != nil || held == nil {
		return
	}
	// First the refusal, as the operator would see it.
	if r := skew(t, sc.args...); r.code == 0 || !strings.Contains(r.stderr, "holds the run Lease") {
		t.Errorf("a re-run while a killed run's Lease is live must refuse naming it: %s", r)
	} else {
		oneLine(t, r, "a re-run before the Lease expired")
	}
	aged := metav1.NewMicroTime(time.Now().Add(-runrecord.LeaseDuration - time.Second))
	l.Spec.RenewTime = &aged
	if _, err := env.sb.Client.CoordinationV1().Leases(runrecord.DefaultNamespace).Update(ctx, l, metav1.UpdateOptions{}); err != nil {
		t.Logf("age the run Lease: %v", err)
	}
}

func (s faultStep) String() string { return fmt.Sprintf("%s: %s", s.at, s.fault) }
