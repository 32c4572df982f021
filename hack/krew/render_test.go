package krew

import (
	"strings"
	"testing"
)

// The bot's output format: uri on the action's line, sha256 under it at four spaces.
func TestRenderAddURIAndSha(t *testing.T) {
	tmpl := "spec:\n  version: {{ .TagName }}\n  platforms:\n  - bin: x\n" +
		`    {{ addURIAndSha "https://example.invalid/{{ .TagName }}/a_{{ .TagName }}.tar.gz" .TagName }}` + "\n"
	got, err := Render([]byte(tmpl), "v1.2.3", func(uri string) (string, error) {
		if uri != "https://example.invalid/v1.2.3/a_v1.2.3.tar.gz" {
			t.Errorf("sha asked for %q", uri)
		}
		return strings.Repeat("ab", 32), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "spec:\n  version: v1.2.3\n  platforms:\n  - bin: x\n" +
		"    uri: https://example.invalid/v1.2.3/a_v1.2.3.tar.gz\n    sha256: " + strings.Repeat("ab", 32) + "\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// A template that leans on something the bot does not offer must fail here, before a release.
func TestRenderRejectsWhatTheBotLacks(t *testing.T) {
	for _, tmpl := range []string{
		"version: {{ .Version }}",
		`{{ addURIAndSha "https://x/{{ .Version }}.tar.gz" .TagName }}`,
		"{{ trimPrefix .TagName }}",
	} {
		if _, err := Render([]byte(tmpl), "v1.2.3", func(string) (string, error) { return "", nil }); err == nil {
			t.Errorf("%q rendered, want an error", tmpl)
		}
	}
}
