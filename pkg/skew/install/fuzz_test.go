package install

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kubectl-skew/kubectl-skew/pkg/skew/cluster"
	"github.com/kubectl-skew/kubectl-skew/pkg/skew/version"
)

// FuzzNodeArgs: whatever a node-args annotation holds (shell, quotes, masks in odd
// places, not JSON, huge), NodeArgs reads it or gives nil, ExecArgs leaves no mask
// in what it keeps, and no line built from it runs anything the node wrote.
func FuzzNodeArgs(f *testing.F) {
	f.Add(`["server","--token","********","--tls-san","a b'c"]`)
	f.Add(`["agent","--node-label=x=$(id)","--token=********"]`)
	f.Add(`["server","--data-dir","/srv/k3s","-d"]`)
	f.Add(`["********","********","--a","********","--b=********=********"]`)
	f.Add("[\"`id`;reboot\",\"$(touch x)=********\",\"a\\nb\"]")
	f.Add(`["server",` + strings.Repeat(`"--node-label=k=v",`, 2000) + `"--cluster-init"]`)
	f.Add(`not json`)
	f.Add(`{"a":1}`)
	f.Add(`["a",null]`)
	f.Fuzz(func(t *testing.T, annotation string) {
		n := node("n", map[string]string{cluster.AnnotationK3sArgs: annotation})
		args := NodeArgs(n, version.K3s)
		var want []string
		if err := json.Unmarshal([]byte(annotation), &want); err != nil {
			want = nil
		}
		if !reflect.DeepEqual(args, want) {
			t.Fatalf("NodeArgs = %q, want %q", args, want)
		}

		kept, masked := ExecArgs(args)
		if len(kept) > len(args) {
			t.Fatalf("ExecArgs kept %d of %d", len(kept), len(args))
		}
		for _, a := range kept {
			if a == Masked || strings.HasSuffix(a, "="+Masked) {
				t.Fatalf("ExecArgs kept a mask: %q", kept)
			}
		}
		for _, m := range masked {
			if !slices.Contains(args, m) && !slices.Contains(args, m+"="+Masked) {
				t.Fatalf("ExecArgs named %q, which args do not hold: %q", m, args)
			}
		}
		if p := live("set -- " + ShellWords(kept)); len(p) > 0 {
			t.Fatalf("ShellWords left something live at %v: %s", p, ShellWords(kept))
		}

		for _, server := range []bool{true, false} {
			script, vars := ScriptCommand(version.K3s, k3sV, server, args)
			upgrade, uvars := UpgradeCommand(version.K3s, k3sV, server, args)
			checkOnlyOurs(t, script[1], vars)
			checkOnlyOurs(t, upgrade[1], uvars)
			if ownAsterisks(args) {
				continue
			}
			for _, l := range append(script, upgrade...) {
				if strings.Contains(l, " "+Masked) || strings.Contains(l, "="+Masked) || strings.Contains(l, `"`+Masked) {
					t.Fatalf("a masked value reached %q", l)
				}
			}
		}
	})
}

// checkOnlyOurs fails when the install line has anything live but its own pipe and
// the variables that stand for masked values.
func checkOnlyOurs(t *testing.T, line string, vars []string) {
	t.Helper()
	pipes := 0
	for _, p := range live(line) {
		switch line[p] {
		case '|':
			pipes++
		case '$':
			name, _, ok := strings.Cut(strings.TrimPrefix(line[p:], "${"), ":?")
			if !ok || !strings.HasPrefix(line[p:], "${") || !slices.Contains(vars, name) {
				t.Fatalf("live %q at %d in %q", line[p:min(len(line), p+20)], p, line)
			}
		default:
			t.Fatalf("live %q at %d in %q", line[p], p, line)
		}
	}
	if pipes != 1 {
		t.Fatalf("%d pipes in %q", pipes, line)
	}
}

// ownAsterisks reports whether args hold asterisks that are not K3s's mask: a
// value or flag name of the user's that contains them, or a mask first, where K3s
// never writes one (it masks the value after a secret flag).
func ownAsterisks(args []string) bool {
	for i, a := range args {
		name, isMasked := strings.CutSuffix(a, "="+Masked)
		switch {
		case a == Masked && i == 0:
			return true
		case a == Masked:
		case isMasked && strings.Contains(name, Masked), !isMasked && strings.Contains(a, Masked):
			return true
		}
	}
	return false
}
