package table

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/policy"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/report"
)

// The tables themselves are pinned by the CLI golden files (pkg/plugin/testdata);
// these tests cover what the goldens cannot see: colour, and the writer failing.

func TestPaint(t *testing.T) {
	drawn := "K3s cluster: 1 error\n\nNAME STATUS\nagent-1 NotReady\nerror    SKEW102 node/a msg\nwarning  SKEW103 node/b msg\n"
	if got := string(paint([]byte(drawn), false)); got != drawn {
		t.Errorf("no colour means the bytes are untouched: %q", got)
	}
	got := string(paint([]byte(drawn), true))
	for _, want := range []string{ANSIBold + "K3s cluster: 1 error" + ANSIReset, ANSIRed + "NotReady" + ANSIReset, ANSIRed + "error" + ANSIReset + " ", ANSIYellow + "warning" + ANSIReset} {
		if !strings.Contains(got, want) {
			t.Errorf("coloured output lacks %q:\n%q", want, got)
		}
	}
}

func TestWriteCheckColor(t *testing.T) {
	r := report.Check(&cluster.Inventory{Nodes: []cluster.Node{{Name: "a", Role: cluster.RoleAgent}}},
		[]policy.Finding{{Severity: policy.Error, ID: "SKEW102", Subject: "node/a", Message: "m", Fix: "f"}}, policy.Error, "")
	var plain, colored bytes.Buffer
	if err := WriteCheck(&plain, r, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteCheck(&colored, r, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("colour without Color:\n%q", plain.String())
	}
	if got := colored.String(); !strings.Contains(got, ANSIRed+"NotReady"+ANSIReset) || !strings.Contains(got, ANSIRed+"error"+ANSIReset+" ") {
		t.Errorf("Color paints NotReady and the severity:\n%q", got)
	}
	if stripped := strings.NewReplacer(ANSIBold, "", ANSIRed, "", ANSIReset, "").Replace(colored.String()); stripped != plain.String() {
		t.Errorf("colour changes nothing but the escape codes:\n%q\n%q", stripped, plain.String())
	}
}

func TestWriteStatusColor(t *testing.T) {
	r := report.NewStatusReport()
	r.Summary = report.StatusSummary{State: report.StateFailed, Target: "v1.33.7+k3s1", Failed: 1, Next: "kubectl skew abort"}
	r.Nodes = []report.StatusNode{{Name: "a", Role: "agent", Version: "v1.33.7+k3s1", State: report.NodeFailed, Ready: true}}
	var b bytes.Buffer
	if err := WriteStatus(&b, r, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), " "+ANSIRed+"failed"+ANSIReset+" ") {
		t.Errorf("a failed node says failed in red:\n%q", b.String())
	}

	none := report.NewStatusReport()
	none.Summary = report.StatusSummary{State: report.StateNone, Next: "kubectl skew plan"}
	b.Reset()
	if err := WriteStatus(&b, none, Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "No upgrade: kubectl skew plan\n" {
		t.Errorf("no upgrade is one plain line: %q", b.String())
	}
}

func TestWriteWatchChange(t *testing.T) {
	finding := func(sev policy.Severity, id, subject string) policy.Finding {
		return policy.Finding{Severity: sev, ID: id, Subject: subject, Message: "m"}
	}
	c := &report.WatchChange{
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Nodes: 3, Errors: 1, Info: 1,
		Added:   []policy.Finding{finding(policy.Error, "SKEW102", "node/a")},
		Removed: []policy.Finding{finding(policy.Warning, "SKEW103", "node/b")},
		Target:  "v1.34", TargetAdded: []policy.Finding{finding(policy.Info, "SKEW104", "node/c")},
	}
	var b bytes.Buffer
	if err := WriteWatchChange(&b, c); err != nil {
		t.Fatal(err)
	}
	want := "2026-01-02T03:04:05Z 3 nodes: 1 error, 0 warnings, 1 info; new: error SKEW102 node/a (m); gone: warning SKEW103 node/b (m); new at --target v1.34: info SKEW104 node/c (m)\n"
	if b.String() != want {
		t.Errorf("got  %q\nwant %q", b.String(), want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsReachTheCaller(t *testing.T) {
	r := report.NewChannelsReport()
	if err := WriteChannels(failingWriter{}, r, Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("channels: %v", err)
	}
	if err := WriteWatchChange(failingWriter{}, &report.WatchChange{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("watch: %v", err)
	}
}
