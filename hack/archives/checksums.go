package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kubectl-skew/kubectl-skew/hack/krew"
)

// writeChecksums writes checksums.txt in the format "sha256sum -c" reads: "<hex>  <name>".
func writeChecksums(dir string, names []string) error {
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		sum, err := krew.FileSHA256(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, n)
	}
	if err := os.WriteFile(filepath.Join(dir, krew.ChecksumsFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", krew.ChecksumsFile, err)
	}
	return nil
}
