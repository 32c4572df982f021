package viacommand

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Runner runs the operator's command with env added to the workstation's own, its
// output to log. It returns the command's exit status (0 when it succeeded); err is
// for a command that could not be run at all.
type Runner func(ctx context.Context, command string, env []string, log io.Writer) (status int, err error)

// ShellRunner runs the command with /bin/sh -c. The command line is the operator's
// own; the node's facts are only in env. Cancelled (Ctrl-C), the command gets
// SIGTERM, then SIGKILL after stopGrace: a half-done install is better stopped by
// the tool than cut off.
func ShellRunner(ctx context.Context, command string, env []string, log io.Writer) (int, error) {
	// No process takes a NUL byte in its environment; a node's annotation may hold one.
	for _, kv := range env {
		if strings.IndexByte(kv, 0) >= 0 {
			name, _, _ := strings.Cut(kv, "=")
			return -1, fmt.Errorf("%s holds a NUL byte (from the node's annotations), which no command can be given; fix the annotation or upgrade the node by hand", name)
		}
	}
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopGrace
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		if code := exit.ExitCode(); code >= 0 {
			return code, nil
		}
		return -1, fmt.Errorf("the command was stopped: %s", exit.String())
	}
	return -1, fmt.Errorf("run the command: %w", err)
}

const stopGrace = 30 * time.Second

// tail keeps the last lines written through it, for an error message.
type tail struct {
	mu    sync.Mutex
	lines []string
	part  []byte
	keep  int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.part = append(t.part, p...)
	for {
		i := bytes.IndexByte(t.part, '\n')
		if i < 0 {
			break
		}
		t.lines = append(t.lines, string(t.part[:i]))
		t.part = t.part[i+1:]
		if len(t.lines) > t.keep {
			t.lines = t.lines[len(t.lines)-t.keep:]
		}
	}
	if len(t.part) > 4096 {
		t.part = t.part[len(t.part)-4096:] // a line without end: keep its end
	}
	return len(p), nil
}

// String is the last lines, joined with " | " for a one-line error.
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := t.lines
	if len(t.part) > 0 {
		lines = append(append([]string(nil), lines...), string(t.part))
	}
	return strings.Join(lines, " | ")
}
