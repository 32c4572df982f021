// Command kubectl-skew is the kubectl plugin "kubectl skew".
package main

import (
	"os"

	"github.com/kubectl-skew/kubectl-skew/pkg/plugin"
)

func main() {
	os.Exit(plugin.Main(os.Args[1:]))
}
