package plugin

// Set at build time with -ldflags "-X github.com/kubectl-skew/kubectl-skew/pkg/plugin.buildVersion=v0.1.0 ...".
var (
	buildVersion = "v0.0.0-dev"
	buildCommit  = "unknown"
	buildDate    = "unknown"
)
