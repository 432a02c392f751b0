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

// pyStrip is Python's str.strip() without arguments. Most config lines
// neither start nor end with space: they are returned as they are without
// decoding them rune by rune.
func pyStrip(s string) string {
	if s == "" || plainEnd(s[0]) && plainEnd(s[len(s)-1]) {
		return s
	}
	return strings.TrimFunc(s, pyIsSpace)
}

// plainEnd tells an ASCII byte that is not whitespace for Python (the C0
// spaces 0x09-0x0d, 0x1c-0x1f and the space itself).
func plainEnd(b byte) bool {
	return b > ' ' && b < 0x80 || b < 0x09 || b > 0x0d && b < 0x1c
}
