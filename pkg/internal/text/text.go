// Package text holds the small wording helpers every message of the project uses,
// so that "1 node" and "3 nodes", or a list cut to its first few, read the same
// everywhere.
package text

import (
	"fmt"
	"strings"
	"time"
)

// Plural is "1 node" or "3 nodes".
func Plural(n int, word string) string { return fmt.Sprintf("%d %s", n, PluralWord(n, word)) }

// PluralWord is word, with an s unless n is 1 ("info" has no plural).
func PluralWord(n int, word string) string {
	if n == 1 || word == "info" {
		return word
	}
	return word + "s"
}

// PluralVerb is "1 node has" or "3 nodes have": one and many are the whole phrases.
func PluralVerb(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// OrDash is s, or "-" when s is empty: a table cell or a field of a status line
// that has no value still shows that it has none.
func OrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Sample joins the first n items and says how many more there are.
func Sample(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// Age is a short human duration: "45s", "12m", "3h", "2d4h".
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	days := int(d.Hours()) / 24
	return fmt.Sprintf("%dd%dh", days, int(d.Hours())%24)
}
