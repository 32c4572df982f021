// Package reference generates the markdown flag reference of every command.
package reference

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin"
)

// Write replaces dir's markdown files with the reference of every command.
func Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	root := plugin.NewCmdSkew(plugin.NewEnv(genericiooptions.NewTestIOStreamsDiscard()))
	stable(root)
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		return fmt.Errorf("write the reference: %w", err)
	}
	return nil
}

// stable drops what differs from machine to machine: the date line cobra adds, and
// defaults taken from the environment (the kubeconfig cache under $HOME).
func stable(cmd *cobra.Command) {
	cmd.DisableAutoGenTag = true
	home, _ := os.UserHomeDir()
	fix := func(f *pflag.Flag) {
		if home != "" && strings.Contains(f.DefValue, home) {
			f.DefValue = strings.ReplaceAll(f.DefValue, home, "$HOME")
		}
	}
	cmd.PersistentFlags().VisitAll(fix)
	cmd.Flags().VisitAll(fix)
	for _, c := range cmd.Commands() {
		stable(c)
	}
}
