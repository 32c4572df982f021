package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// state is a sandbox's directory: owner.pid names the Go process that owns it and
// procs lists the children it started ("pid binary" per line). A later sandbox reads
// both to clean up after an owner that died without stopping them.
type state struct {
	dir string
}

const (
	ownerFile = "owner.pid"
	procsFile = "procs"
)

// ErrRunning means another live process owns the state directory.
var ErrRunning = errors.New("a sandbox is already running here")

func openState(dir string) (*state, error) {
	if err := reapDir(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write owner pid: %w", err)
	}
	return &state{dir: dir}, nil
}

func (s *state) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

func (s *state) recordProcess(pid int, bin string) error {
	f, err := os.OpenFile(s.path(procsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("record process: %w", err)
	}
	defer f.Close()
	// /proc/<pid>/exe shows the resolved path; record that so the reaper can compare.
	if resolved, err := filepath.EvalSymlinks(bin); err == nil {
		bin = resolved
	}
	if abs, err := filepath.Abs(bin); err == nil {
		bin = abs
	}
	if _, err := fmt.Fprintf(f, "%d %s\n", pid, bin); err != nil {
		return fmt.Errorf("record process: %w", err)
	}
	return nil
}

// ReapStale cleans every sandbox directory under root whose owner is gone: it kills
// the process groups the owner recorded (when they still run the recorded binary, so a
// recycled pid is never hit) and removes the directory. Live sandboxes are left alone.
func ReapStale(root string) error {
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reap stale sandboxes: %w", err)
	}
	for _, e := range entries {
		// One process may run several sandboxes at once (the fleet tests): never reap our own.
		if !e.IsDir() || ownerPID(filepath.Join(root, e.Name())) == os.Getpid() {
			continue
		}
		if err := reapDir(filepath.Join(root, e.Name())); err != nil && !errors.Is(err, ErrRunning) && !errors.Is(err, ErrNotSandbox) {
			return err
		}
	}
	return nil
}

// ErrNotSandbox means a directory holds files but no sandbox state: never wiped.
var ErrNotSandbox = errors.New("not a sandbox state directory")

// reapDir cleans dir after a dead owner; ErrRunning when its owner still lives. A
// directory that is neither empty nor a sandbox's is refused, never removed: a
// mistyped --dir must not cost anyone their files.
func reapDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state dir: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ownerFile)); err != nil && len(entries) > 0 {
		return fmt.Errorf("%w: %s has files but no %s; choose an empty or new directory", ErrNotSandbox, dir, ownerFile)
	}
	if pid := ownerPID(dir); pid > 0 && pid != os.Getpid() && alive(pid) {
		return fmt.Errorf("%w (pid %d, %s): stop it first (`go run ./test/cmd/sandbox down`)", ErrRunning, pid, dir)
	}
	killRecorded(dir)
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove stale sandbox %s: %w", dir, err)
	}
	return nil
}

// OwnerPID returns the pid owning a sandbox directory when it is alive, else 0.
func OwnerPID(dir string) int {
	if pid := ownerPID(dir); pid > 0 && alive(pid) {
		return pid
	}
	return 0
}

func ownerPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, ownerFile))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func killRecorded(dir string) {
	f, err := os.Open(filepath.Join(dir, procsFile))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.SplitN(sc.Text(), " ", 2)
		if len(fields) != 2 {
			continue
		}
		pid, err := strconv.Atoi(fields[0])
		if err != nil || pid <= 1 {
			continue
		}
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && exe == fields[1] {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
}
