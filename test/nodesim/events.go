package nodesim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"
)

// Event kinds, in the order a successful Job produces them.
const (
	EventStarted        = "simulator-started"
	EventJobStarted     = "job-started"     // the Job's pod was placed on its node; the node begins
	EventPrepareWaiting = "prepare-waiting" // agent Job waits for the server Plan
	EventPrepareDone    = "prepare-done"    // servers done: the agent may go on
	EventCordoned       = "node-cordoned"   // the Job's cordon or drain step ran
	EventJobComplete    = "job-complete"    // the Job's pod succeeded: the binary is replaced
	EventNodeDown       = "node-down"       // the service restarts: NotReady
	EventNodeUpgraded   = "node-upgraded"   // kubelet back, reporting the Plan's version (Ready unless told otherwise)
	EventPodsMoved      = "pods-moved"      // static and kube-proxy pods show the new image
	EventJobFailed      = "job-failed"      // the Job's pod failed (told to fail, or its drain failed)
	EventJobHanging     = "job-hanging"     // the upgrade never ends (AnnotationHang)
	EventJobGone        = "job-gone"        // SUC deleted the Job before it finished
	EventError          = "simulator-error" // an API call failed; Message says which
)

// Event is one line of the simulator's log.
type Event struct {
	Time  time.Time `json:"time"`
	Event string    `json:"event"`
	Node  string    `json:"node,omitempty"`
	Plan  string    `json:"plan,omitempty"`
	// PlanUID is the Plan object's UID, as the Job's pod started: a Plan deleted and
	// created again under its name (abort, then a new run) is another Plan.
	PlanUID string `json:"planUID,omitempty"`
	Job     string `json:"job,omitempty"`
	Version string `json:"version,omitempty"`
	From    string `json:"from,omitempty"`
	Message string `json:"message,omitempty"`
}

type eventLog struct {
	mu   sync.Mutex
	f    *os.File
	all  []Event
	last time.Time
}

func openEventLog(path string) (*eventLog, error) {
	l := &eventLog{}
	if path == "" {
		return l, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("nodesim: open event log: %w", err)
	}
	l.f = f
	return l, nil
}

// emit stamps and records e. Times are strictly increasing so that order by time is
// the order of events, even for two events within one clock tick.
func (l *eventLog) emit(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now().UTC()
	if !now.After(l.last) {
		now = l.last.Add(time.Microsecond)
	}
	l.last = now
	e.Time = now
	l.all = append(l.all, e)
	if l.f != nil {
		b, err := json.Marshal(e)
		if err == nil {
			_, _ = l.f.Write(append(b, '\n'))
		}
	}
}

func (l *eventLog) events() []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Event(nil), l.all...)
}

func (l *eventLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}

// ReadEvents reads a simulator log written by another process (the sandbox CLI).
func ReadEvents(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read nodesim events: %w", err)
	}
	defer f.Close()
	var out []Event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var e Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return out, fmt.Errorf("read nodesim events: %s: %w", path, err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("read nodesim events: %w", err)
	}
	return out, nil
}
