package fleet

import "testing"

func TestWorkers(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		name     string
		contexts int
		limits   Limits
		want     int
	}{
		{"one per context when the workstation has room", 100, Limits{OpenFiles: 1 << 20, AvailableMemory: 16 * gib}, 100},
		{"no contexts still one worker", 0, Limits{OpenFiles: 1024, AvailableMemory: gib}, 1},
		{"the descriptor limit binds: (1024-64)/8", 500, Limits{OpenFiles: 1024, AvailableMemory: 16 * gib}, 120},
		{"macOS's 256 descriptors: (256-64)/8", 100, Limits{OpenFiles: 256, AvailableMemory: 16 * gib}, 24},
		{"fewer descriptors than the reserve", 100, Limits{OpenFiles: 50, AvailableMemory: 16 * gib}, 1},
		{"the memory binds: half of 1 GiB at 16 MiB each", 100, Limits{OpenFiles: 1 << 20, AvailableMemory: gib}, 32},
		{"almost no memory", 100, Limits{OpenFiles: 1 << 20, AvailableMemory: 1 << 20}, 1},
		{"both known, the tighter wins", 1000, Limits{OpenFiles: 1024, AvailableMemory: 2 * gib}, 64},
		{"memory unknown: capped", 1000, Limits{OpenFiles: 1 << 20}, maxUnknownMemory},
		{"nothing known, few contexts", 12, Limits{}, 12},
		{"nothing known, many contexts", 5000, Limits{}, maxUnknownMemory},
		{"huge limits do not overflow", 3, Limits{OpenFiles: 1 << 62, AvailableMemory: 1 << 62}, 3},
	} {
		if got := Workers(tc.contexts, tc.limits); got != tc.want {
			t.Errorf("%s: Workers(%d, %+v) = %d, want %d", tc.name, tc.contexts, tc.limits, got, tc.want)
		}
	}
}

func TestParseMemAvailable(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
	}{
		{"MemTotal:       24683852 kB\nMemFree:        12424512 kB\nMemAvailable:   23490000 kB\n", 23490000 << 10},
		{"MemTotal:       24683852 kB\n", 0},
		{"MemAvailable:   lots kB\n", 0},
		{"MemAvailable:\n", 0},
		{"", 0},
		{"MemAvailable:   99999999999999999999 kB\n", 0},
	} {
		if got := parseMemAvailable(tc.in); got != tc.want {
			t.Errorf("parseMemAvailable(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestHostLimitsReadable(t *testing.T) {
	l := HostLimits()
	if n := Workers(100, l); n < 1 || n > 100 {
		t.Errorf("Workers(100, %+v) = %d", l, n)
	}
}
