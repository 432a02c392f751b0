package config

import (
	"strings"
	"unicode"
)

// pyIsSpace is Python's str.isspace for one rune; unlike unicode.IsSpace it
// also counts the ASCII information separators 0x1c-0x1f.
func pyIsSpace(r rune) bool {
	if r >= 0x1c && r <= 0x1f {
		return true
	}
	return unicode.IsSpace(r)
}

// pyStrip is Python's str.strip() without arguments.
func pyStrip(s string) string { return strings.TrimFunc(s, pyIsSpace) }
