package plugin

import "github.com/spf13/cobra"

// NewCmdCheck builds "kubectl skew check". (in progress)
func NewCmdCheck(env *Env) *cobra.Command {
	return &cobra.Command{Use: "check", Short: "Check the cluster against the Kubernetes version skew policy"}
}
