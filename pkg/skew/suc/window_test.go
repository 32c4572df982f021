package suc

import (
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	cases := []struct {
		days             []string
		start, end, zone string
		err              string
	}{
		{nil, "", "", "", ""},
		{[]string{"mon", "Friday"}, "02:00", "05:30", "Europe/Berlin", ""},
		{[]string{"funday"}, "02:00", "05:00", "", "--window-days \"funday\""},
		{[]string{"mon"}, "2am", "05:00", "", "--window-start \"2am\""},
		{[]string{"mon"}, "02:00", "25:00", "", "--window-end \"25:00\""},
		{[]string{"mon"}, "02:00", "05:00", "Mars/Olympus", "--window-timezone \"Mars/Olympus\""},
		{[]string{"mon"}, "", "05:00", "", "needs --window-days, --window-start and --window-end"},
	}
	for _, tc := range cases {
		_, err := ParseWindow(tc.days, tc.start, tc.end, tc.zone)
		if (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%v %s %s %s: err = %v, want %q", tc.days, tc.start, tc.end, tc.zone, err, tc.err)
		}
	}
}

func TestNextOpen(t *testing.T) {
	w, err := ParseWindow([]string{"sat", "sun"}, "01:00", "04:00", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	wed := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC) // a Wednesday
	if got, _ := NextOpen(w, wed); !got.Equal(time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("next open from Wednesday noon = %s, want Saturday 01:00", got)
	}
	sat := time.Date(2026, 12, 5, 2, 30, 0, 0, time.UTC)
	if got, _ := NextOpen(w, sat); !got.Equal(sat) {
		t.Errorf("inside the window: %s, want now", got)
	}
	if _, ok := NextOpen(nil, wed); ok {
		t.Errorf("no window opens")
	}
}
