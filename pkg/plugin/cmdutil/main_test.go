package cmdutil_test

// clitest registers -update, so that go test ./pkg/plugin/... -update, which rewrites
// the commands' golden files, runs here too (these tests have no golden files).
import _ "github.com/kubectl-skew/kubectl-skew/test/clitest"
