package watch

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// TestDocsMatch keeps docs/watch.md in step with the code: the manifest block is
// deploy/watch.yaml byte for byte, and every metric is described.
func TestDocsMatch(t *testing.T) {
	root := filepath.Join("..", "..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "watch.md"))
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(root, "deploy", "watch.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- BEGIN deploy/watch.yaml", "<!-- END deploy/watch.yaml -->"
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("docs/watch.md has no %q ... %q block", begin, end)
	}
	block := s[i:j]
	block = block[strings.Index(block, "```yaml\n")+len("```yaml\n"):]
	block = strings.TrimSuffix(block, "```\n")
	if block != string(manifest) {
		t.Errorf("the manifest in docs/watch.md differs from deploy/watch.yaml: copy the file into the block")
	}
	descs := make(chan *prometheus.Desc, 32)
	NewCollector(New(Config{})).Describe(descs)
	close(descs)
	n := 0
	for d := range descs {
		m := fqName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read the name of %s", d)
		}
		n++
		if !strings.Contains(s, "| `"+m[1]+"` |") {
			t.Errorf("docs/watch.md's metrics table does not describe %s", m[1])
		}
	}
	if n < 8 {
		t.Errorf("%d metrics described, want 8", n)
	}
}
