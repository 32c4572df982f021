package sandbox

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func startSleeper(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Skipf("no sleep binary: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func writeState(t *testing.T, dir string, owner int, procs ...*exec.Cmd) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(owner)), 0o644); err != nil {
		t.Fatal(err)
	}
	st := &state{dir: dir}
	for _, p := range procs {
		if err := st.recordProcess(p.Process.Pid, p.Path); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReapAfterACrash: the children of a dead owner are killed and its directory goes.
func TestReapAfterACrash(t *testing.T) {
	root := t.TempDir()
	child := startSleeper(t)
	dead := filepath.Join(root, "dead")
	writeState(t, dead, 0, child)

	if err := ReapStale(root); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale directory still there: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Errorf("the dead owner's child still runs")
	}
}

// TestReapLeavesTheLivingAndTheForeign: a live owner's sandbox and a directory that is
// not a sandbox's are never touched.
func TestReapLeavesTheLivingAndTheForeign(t *testing.T) {
	root := t.TempDir()
	owner := startSleeper(t)
	live := filepath.Join(root, "live")
	writeState(t, live, owner.Process.Pid)
	foreign := filepath.Join(root, "foreign")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(foreign, "precious")
	if err := os.WriteFile(precious, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := ReapStale(root); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{live, precious} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
	if _, err := openState(live); !errors.Is(err, ErrRunning) {
		t.Errorf("opening a live sandbox's directory: %v, want ErrRunning", err)
	}
	if _, err := openState(foreign); !errors.Is(err, ErrNotSandbox) {
		t.Errorf("opening a foreign directory: %v, want ErrNotSandbox", err)
	}
	if OwnerPID(live) != owner.Process.Pid {
		t.Errorf("OwnerPID = %d", OwnerPID(live))
	}
}
