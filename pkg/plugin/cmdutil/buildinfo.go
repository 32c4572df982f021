package cmdutil

// Set at build time with -ldflags "-X github.com/kubectl-skew/kubectl-skew/pkg/plugin.buildVersion=v0.1.0 ...".
var (
	BuildVersion = "v0.0.0-dev"
	BuildCommit  = "unknown"
	BuildDate    = "unknown"
)
