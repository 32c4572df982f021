// Package cmdutil holds what every kubectl-skew command shares: the environment and
// clients, output flags, errors turned into one line and an exit code, colour, and
// small text helpers. Each command lives in a package of its own beside it.
package cmdutil
