package plugin

// Set at build time with -ldflags "-X github.com/kubectl-skew/kubectl-skew/pkg/plugin.version=v0.1.0 ...".
var (
	version = "v0.0.0-dev"
	commit  = "unknown"
	date    = "unknown"
)
