package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// live is where a POSIX shell reading line would expand something or start
// another command: $ and backquotes outside single quotes and not escaped, and
// ; | & or a newline outside any quotes. Comment lines have none.
func live(line string) []int {
	if strings.HasPrefix(strings.TrimSpace(line), "#") {
		return nil
	}
	var out []int
	inS, inD := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inS:
			if c == '\'' {
				inS = false
			}
		case c == '\\':
			i++ // the next byte is taken literally
		case c == '\'' && !inD:
			inS = true
		case c == '"':
			inD = !inD
		case c == '$' || c == '`':
			out = append(out, i)
		case !inD && (c == ';' || c == '|' || c == '&' || c == '\n'):
			out = append(out, i)
		}
	}
	return out
}

// payloads are hostile values: each would run "touch CANARY" if a shell line
// carried it unquoted. The tests look for "touch" right after anything live.
var payloads = []string{
	"$(touch CANARY)",
	"`touch CANARY`",
	"a; touch CANARY",
	"x' ; touch CANARY #",
	"\"; touch CANARY; \"",
	"${IFS}touch${IFS}CANARY",
	"a\nb; touch CANARY",
	"| touch CANARY &",
	"\\'$(touch CANARY)",
}

// assertInert fails when a payload in lines is live: an expansion or a command
// separator that reaches the payload's "touch".
func assertInert(t *testing.T, what string, lines []string) {
	t.Helper()
	for _, l := range lines {
		for _, p := range live(l) {
			rest := strings.TrimLeft(l[p+1:], "({`;|&$ \n")
			rest = strings.TrimPrefix(rest, "IFS}")
			if strings.HasPrefix(rest, "touch") {
				t.Errorf("%s: payload live at %d in %q", what, p, l)
			}
		}
		if strings.HasPrefix(strings.TrimSpace(l), "#") && strings.ContainsAny(l, "\n\r") {
			t.Errorf("%s: a comment line breaks in two: %q", what, l)
		}
	}
}

// bashParses runs bash -n over the lines as one script.
func bashParses(t *testing.T, what string, lines []string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		return
	}
	cmd := exec.Command(bash, "-n")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: bash -n: %v\n%s\n%s", what, err, out, strings.Join(lines, "\n"))
	}
}

// TestLiveScanner: the scanner itself finds what a shell would run.
func TestLiveScanner(t *testing.T) {
	for line, want := range map[string]int{
		`echo 'a $(b) ; c'`:            0,
		`echo "$(b)"`:                  1,
		`echo \$(b)`:                   0,
		`echo a; echo b`:               1,
		`echo "a; b" | cat`:            1,
		`# echo $(b); c`:               0,
		`echo 'it'\''s' "${X:?y}"`:     1,
		"echo `id`":                    2,
		`x="\"; touch" y`:              0,
		`if [ -f a ]; then . a; fi`:    2,
		"curl x | A=\"\\$b\\`c\" sh -": 1,
		`echo 'a'"b"'c'$d`:             1,
		`printf '%s\n' 'a b' "c d"`:    0,
		`echo "a \" b" ; touch`:        1,
		`echo '\' ; touch`:             1,
		`echo "'" ; touch`:             1,
		`echo "\\" ; touch`:            1,
		`echo "a\'b" ; touch`:          1,
		`a="$(printf x)" && echo $a`:   4,
	} {
		if got := len(live(line)); got != want {
			t.Errorf("live(%q) = %d places, want %d", line, got, want)
		}
	}
}

// TestShellWordsRoundTrip: a shell reading ShellWords(args) gets args back exactly
// and runs nothing in them.
func TestShellWordsRoundTrip(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	dir := t.TempDir()
	canary := filepath.Join(dir, "pwned")
	args := []string{"server", "", "a b", "it's", `"dq"`, `back\slash`, "*", "~", "--node-label=a=b", "tab\there", "nl\nhere", "é"}
	for _, p := range payloads {
		args = append(args, strings.ReplaceAll(p, "CANARY", canary))
	}
	words := ShellWords(args)
	out, err := exec.Command(bash, "-c", `printf '%s\0' `+words).Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if strings.Join(got, "\x01") != strings.Join(args, "\x01") {
		t.Errorf("round trip:\n got %q\nwant %q", got, args)
	}
	if _, err := os.Stat(canary); err == nil {
		t.Errorf("a payload ran: %s exists", canary)
	}
	assertInert(t, "ShellWords", []string{"set -- " + words})
}
