// Package cmdutil holds what every kubectl-skew command shares: the environment and
// clients, the flag groups several commands take (bound straight into the library's
// settings), output flags, errors turned into one line and an exit code, colour, and
// small text helpers. Each command lives in a package of its own beside it. It judges
// nothing: the rules live in pkg/skew (the judging of a cluster in pkg/skew/judge).
package cmdutil
