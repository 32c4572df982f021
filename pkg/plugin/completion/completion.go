// Package completion is "kubectl skew completion": shell completion scripts.
package completion

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin/cmdutil"
)

// NewCmdCompletion builds "kubectl skew completion SHELL".
func NewCmdCompletion(env *cmdutil.Env) *cobra.Command {
	shells := []string{"bash", "zsh", "fish", "powershell"}
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script for kubectl-skew",
		Long: `Print a shell completion script for the kubectl-skew binary.

Through kubectl (1.26+), "kubectl skew <TAB>" completes by itself once the
kubectl_complete-skew script shipped in the release archive is on PATH.`,
		Example: `  source <(kubectl skew completion bash)
  kubectl skew completion zsh > "${fpath[1]}/_kubectl-skew"`,
		ValidArgs: shells,
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), env.Streams.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return fmt.Errorf("unknown shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
}
