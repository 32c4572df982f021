package cmdutil_test

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/upgradepath"
)

// targetFlags are plan's and upgrade's target flags, parsed from args.
func targetFlags(t *testing.T, args ...string) *cmdutil.TargetFlags {
	t.Helper()
	f := &cmdutil.TargetFlags{}
	cmd := &cobra.Command{Use: "test"}
	f.AddFlags(cmd)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return f
}

func TestTargetFlags(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		channel string // after Complete
		target  string // --version parsed, "" for none
		agents  upgradepath.AgentMode
		err     string // from Complete, then Validate
	}{
		{nil, "stable", "", upgradepath.AgentsEach, ""},
		{[]string{"--channel", "v1.33"}, "v1.33", "", upgradepath.AgentsEach, ""},
		{[]string{"--version", "v1.33.5+k3s1"}, "", "v1.33.5+k3s1", upgradepath.AgentsEach, ""},
		{[]string{"--version", "v1.33.5+rke2r1", "--agents", "final"}, "", "v1.33.5+rke2r1", upgradepath.AgentsFinal, ""},
		{[]string{"--version", "latest"}, "", "", "", "--version: "},
		{[]string{"--version", "latest"}, "", "", "", "use a release such as v1.33.5+k3s1"},
		{[]string{"--agents", "some"}, "", "", "", `--agents "some": use each or final`},
		{[]string{"--channel", "stable", "--version", "v1.33.5+k3s1"}, "", "", "", "give --channel or --version, not both"},
		{[]string{"--channel", "v1.33/"}, "", "", "", `--channel "v1.33/" is not a channel name such as stable or v1.33`},
		{[]string{"--channel", " stable"}, "", "", "", `--channel " stable" is not a channel name`},
		{[]string{"--channel", "stable?x=1"}, "", "", "", "is not a channel name"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			f := targetFlags(t, tc.args...)
			err := f.Complete()
			if err == nil {
				err = f.Validate()
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			target := ""
			if f.Target != nil {
				target = f.Target.Version.String()
			}
			if f.Channel != tc.channel || target != tc.target || f.AgentMode != tc.agents {
				t.Errorf("channel %q target %q agents %q; want %q %q %q", f.Channel, target, f.AgentMode, tc.channel, tc.target, tc.agents)
			}
		})
	}
}

// TestTargetFlagsSourceArgs: a printed follow-up command reaches the same channel
// server with the same agent mode.
func TestTargetFlagsSourceArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--agents", "each"}, ""},
		{[]string{"--agents", "final"}, "--agents final"},
		{[]string{"--channel-server", "https://mirror.example/v1-release/channels"}, "--channel-server https://mirror.example/v1-release/channels"},
		{[]string{"--channel-server", "https://mirror.example/c", "--agents", "final"}, "--channel-server https://mirror.example/c|--agents final"},
	} {
		f := targetFlags(t, tc.args...)
		if err := f.Complete(); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.SourceArgs(), "|"); got != tc.want {
			t.Errorf("%v: SourceArgs = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestTargetFlagsCompletion(t *testing.T) {
	f := &cmdutil.TargetFlags{}
	cmd := &cobra.Command{Use: "test"}
	f.AddFlags(cmd)
	for flag, want := range map[string]string{"channel": "stable latest testing", "agents": "each final"} {
		complete, ok := cmd.GetFlagCompletionFunc(flag)
		if !ok {
			t.Errorf("--%s has no completion", flag)
			continue
		}
		if got, _ := complete(cmd, nil, ""); strings.Join(got, " ") != want {
			t.Errorf("--%s completes %v, want %s", flag, got, want)
		}
	}
}
