// Package krew renders the krew-release-bot template .krew.yaml the way the bot does, but with
// sha256s from local archives instead of downloaded ones. "make krew-manifest" writes the
// project's own index manifest (plugins/skew.yaml) with it, and the tests compare the two, so
// the central-index manifest and our own cannot drift apart.
package krew

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"text/template"
)

// ReleaseURLPrefix is where the release workflow publishes the archives; every uri in the
// template starts with it followed by the tag.
const ReleaseURLPrefix = "https://github.com/kubectl-skew/kubectl-skew/releases/download/"

// SHA256Func returns the sha256 (lowercase hex) of the archive that uri names.
type SHA256Func func(uri string) (string, error)

// Render executes tmpl for tag. The functions and their output mirror krew-release-bot's
// (pkg/source/template.go, v0.0.51): addURIAndSha renders its URL as a template of its own and
// emits "uri:" and "sha256:" lines indented for a platform entry. Both levels offer only
// TagName, as the bot does: a field it lacks must fail here too, not only on release day.
func Render(tmpl []byte, tag string, sha SHA256Func) ([]byte, error) {
	values := struct{ TagName string }{tag}
	funcs := template.FuncMap{
		"indent": indent,
		"addURIAndSha": func(url, tag string) (string, error) {
			var u bytes.Buffer
			inner, err := template.New("url").Parse(url)
			if err != nil {
				return "", fmt.Errorf("parse url template %q: %w", url, err)
			}
			if err := inner.Execute(&u, struct{ TagName string }{tag}); err != nil {
				return "", fmt.Errorf("render url %q: %w", url, err)
			}
			sum, err := sha(u.String())
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("uri: %s\n    sha256: %s", u.String(), sum), nil
		},
	}
	t, err := template.New(".krew.yaml").Funcs(funcs).Parse(string(tmpl))
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	var out bytes.Buffer
	if err := t.Execute(&out, values); err != nil {
		return nil, fmt.Errorf("render template for %s: %w", tag, err)
	}
	return out.Bytes(), nil
}

// ArchiveName is the file an archive uri points to.
func ArchiveName(uri string) string { return path.Base(uri) }

// indent is the bot's helper for multi-line values; unused by our template, kept so that a
// template that works with the bot also renders here.
func indent(spaces int, v string) string {
	v = strings.ReplaceAll(v, "    sha256:", "sha256:")
	pad := strings.Repeat(" ", spaces)
	return strings.TrimSpace(pad + strings.ReplaceAll(v, "\n", "\n"+pad))
}
