package check_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
	"github.com/kubectl-skew/kubectl-skew/test/clitest"
)

// fleet is three readable clusters and one that cannot be reached.
func fleet() map[string]any {
	return map[string]any{
		"prod-k3s":     checkScenarios[4].cluster, // servers mid-upgrade: 1 error, 1 warning
		"prod-rke2":    checkScenarios[1].cluster, // an agent four minors behind: 2 errors
		"staging-k3s":  checkScenarios[0].cluster, // healthy
		"lab-offline":  errors.New("list nodes: cannot reach the cluster at https://10.9.9.9:6443 (connection refused)"),
		"dev-kubeadm":  checkScenarios[2].cluster, // kubectl warning only
		"eks-attached": checkScenarios[3].cluster, // one error
	}
}

func TestFleetGolden(t *testing.T) {
	for _, format := range []string{"table", "wide", "json"} {
		t.Run(format, func(t *testing.T) {
			args := []string{"check", "--all-contexts"}
			name := "fleet/all-contexts"
			switch format {
			case "wide":
				args, name = append(args, "-o", "wide"), name+".wide.txt"
			case "json":
				args, name = append(args, "-o", "json"), name+".json"
			default:
				name += ".txt"
			}
			r := clitest.RunFleet(t, fleet(), args...)
			if r.Code != cmdutil.ExitError {
				t.Errorf("an unreadable context makes the fleet exit 1, got %d", r.Code)
			}
			want := "error: 1 of 6 contexts could not be checked"
			if !strings.HasPrefix(r.Stderr, want) || strings.Count(r.Stderr, "\n") != 1 {
				t.Errorf("stderr = %q, want one line starting %q", r.Stderr, want)
			}
			clitest.Golden(t, name, r.Stdout)
		})
	}
}

func TestFleetOrderAndJSON(t *testing.T) {
	r := clitest.RunFleet(t, fleet(), "check", "--all-contexts", "-o", "json")
	var list struct {
		Kind  string `json:"kind"`
		Items []struct {
			Context string `json:"context"`
			Error   string `json:"error"`
			Summary struct {
				Errors int `json:"errors"`
			} `json:"summary"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(r.Stdout), &list); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, it := range list.Items {
		order = append(order, it.Context)
	}
	want := "lab-offline prod-rke2 prod-k3s eks-attached dev-kubeadm staging-k3s" // unreadable, then errors, then warnings
	if list.Kind != "CheckReportList" || strings.Join(order, " ") != want {
		t.Errorf("kind %s, order %v, want %s", list.Kind, order, want)
	}
}

func TestFleetExitCodes(t *testing.T) {
	clean := map[string]any{"a": checkScenarios[0].cluster, "b": checkScenarios[0].cluster}
	if r := clitest.RunFleet(t, clean, "check", "--all-contexts"); r.Code != cmdutil.ExitOK {
		t.Errorf("clean fleet: exit %d\n%s", r.Code, r.Stderr)
	}
	clean["c"] = checkScenarios[1].cluster
	if r := clitest.RunFleet(t, clean, "check", "--all-contexts"); r.Code != cmdutil.ExitFindings || r.Stderr != "" {
		t.Errorf("fleet with findings: exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestFleetContextSelection(t *testing.T) {
	r := clitest.RunFleet(t, fleet(), "check", "--contexts", "prod-*,staging-k3s", "-o", "json")
	for _, name := range []string{"prod-k3s", "prod-rke2", "staging-k3s"} {
		if !strings.Contains(r.Stdout, `"context": "`+name+`"`) {
			t.Errorf("%s missing", name)
		}
	}
	if strings.Contains(r.Stdout, "lab-offline") || r.Code != cmdutil.ExitFindings {
		t.Errorf("only the selected contexts are checked; exit %d", r.Code)
	}
	r = clitest.RunFleet(t, fleet(), "check", "--contexts", "qa-*")
	if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, `no context matches "qa-*"`) {
		t.Errorf("exit %d, stderr %q", r.Code, r.Stderr)
	}
}

func TestFleetBadFlags(t *testing.T) {
	for args, want := range map[string]string{
		"check --channel stable":                                              "--channel works with --all-contexts or --contexts",
		"check --all-contexts --contexts a":                                   "exclude each other",
		"check --all-contexts --context a":                                    "--context picks one cluster",
		"check --all-contexts --parallel -1":                                  "--parallel -1",
		"check --all-contexts --channel-server http://x":                      "--channel-server needs --channel",
		"check --contexts [":                                                  "bad pattern",
		"check --all-contexts --context-timeout=-1s":                          "--context-timeout",
		"check --all-contexts --channel stable --channel-server k0s=http://x": "use k3s=URL,rke2=URL",
		"check --all-contexts --channel stable --parallel x":                  "invalid argument",
	} {
		r := clitest.RunFleet(t, fleet(), strings.Fields(args)...)
		if r.Code != cmdutil.ExitError || !strings.Contains(r.Stderr, want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", args, r.Code, r.Stderr, want)
		}
	}
}

func TestFleetChannelFetchedOncePerDistro(t *testing.T) {
	body := clitest.ChannelFixture(t, "k3s")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	contexts := map[string]any{}
	for _, name := range []string{"k3s-a", "k3s-b", "k3s-c", "k3s-d"} {
		contexts[name] = checkScenarios[0].cluster // K3s v1.32.5+k3s1
	}
	r := clitest.RunFleet(t, contexts, "check", "--all-contexts", "--channel", "stable", "--channel-server", "k3s="+srv.URL+",rke2=http://127.0.0.1:1")
	if r.Code != cmdutil.ExitOK {
		t.Fatalf("exit %d: %s\n%s", r.Code, r.Stderr, r.Stdout)
	}
	if got := hits.Load(); got != 1 {
		t.Errorf("the channel list was fetched %d times for one distro, want 1", got)
	}
	if !strings.Contains(r.Stdout, "v1.33.5+k3s1 (1 hop)") {
		t.Errorf("each row shows the next target and its hops:\n%s", r.Stdout)
	}
}
