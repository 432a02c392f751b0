package getopt

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Repr renders s as Python's repr() renders a str. Programs built on Python's
// getopt quote command-line values with %r in their messages (for example
// "invalid value for -m '9': ..."), and users match on those texts.
func Repr(s string) string {
	quote := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteRune(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Python decodes undecodable argv bytes to lone surrogates,
			// which repr shows as \udcXX.
			fmt.Fprintf(&b, `\udc%02x`, s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == quote || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == ' ' || (r != utf8.RuneError && unicode.IsPrint(r)) || r == utf8.RuneError:
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(quote)
	return b.String()
}

// ReprList renders a list of strings as Python's repr() of a list does.
func ReprList(list []string) string {
	parts := make([]string, len(list))
	for i, s := range list {
		parts[i] = Repr(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
