package suc

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kubereboot/kured/pkg/timewindow"
	upgradev1 "github.com/rancher/system-upgrade-controller/pkg/apis/upgrade.cattle.io/v1"
)

var clock = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):[0-5][0-9]$`)

// ParseWindow builds SUC's spec.window from the flags and checks it the way the
// controller will (the same time-window library), naming the flag at fault. All
// empty means no window.
func ParseWindow(days []string, start, end, zone string) (*upgradev1.TimeWindowSpec, error) {
	if len(days) == 0 && start == "" && end == "" && zone == "" {
		return nil, nil
	}
	if len(days) == 0 || start == "" || end == "" {
		return nil, fmt.Errorf("a maintenance window needs --window-days, --window-start and --window-end (and optionally --window-timezone)")
	}
	for _, d := range days {
		if _, err := timewindow.New([]string{strings.ToLower(d)}, "00:00", "23:59", "UTC"); err != nil {
			return nil, fmt.Errorf("--window-days %q: not a day; use names such as mon,tue or monday,friday", d)
		}
	}
	for flag, v := range map[string]string{"--window-start": start, "--window-end": end} {
		if !clock.MatchString(v) {
			return nil, fmt.Errorf("%s %q: use HH:MM on a 24-hour clock, such as 02:00", flag, v)
		}
	}
	if zone == "" {
		zone = "UTC"
	}
	if _, err := time.LoadLocation(zone); err != nil {
		return nil, fmt.Errorf("--window-timezone %q: not an IANA time zone; use one such as Europe/Berlin or UTC", zone)
	}
	w := &upgradev1.TimeWindowSpec{StartTime: start, EndTime: end, TimeZone: zone}
	for _, d := range days {
		w.Days = append(w.Days, upgradev1.Day(strings.ToLower(d)))
	}
	if _, err := window(w); err != nil {
		return nil, fmt.Errorf("maintenance window: %w", err)
	}
	return w, nil
}

func window(w *upgradev1.TimeWindowSpec) (*timewindow.TimeWindow, error) {
	days := make([]string, len(w.Days))
	for i, d := range w.Days {
		days[i] = string(d)
	}
	return timewindow.New(days, w.StartTime, w.EndTime, w.TimeZone)
}

// NextOpen is when the window next lets the controller start a Job: now when it is
// open, else the first minute it opens within a week. ok is false for no window.
func NextOpen(w *upgradev1.TimeWindowSpec, now time.Time) (time.Time, bool) {
	if w == nil {
		return time.Time{}, false
	}
	tw, err := window(w)
	if err != nil {
		return time.Time{}, false
	}
	t := now.Truncate(time.Minute)
	for i := 0; i <= 8*24*60; i++ {
		if tw.Contains(t) {
			if t.Before(now) {
				return now, true
			}
			return t, true
		}
		t = t.Add(time.Minute)
	}
	return time.Time{}, false
}
