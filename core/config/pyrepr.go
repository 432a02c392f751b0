package config

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyRepr renders s the way Python's repr() renders a str, because 4.2's
// messages embed values with %r and users compare them with what they know.
func pyRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Not reachable for text Python decoded; keep it visible.
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x7f:
			b.WriteRune(r)
		case pyPrintable(r):
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyPrintable approximates str.isprintable for non-ASCII runes: Python
// escapes separators and "other" categories except the ASCII space.
func pyPrintable(r rune) bool {
	if unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp, unicode.C) {
		return false
	}
	return unicode.IsPrint(r) || unicode.IsGraphic(r)
}

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
