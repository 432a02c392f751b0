package logging

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PyBytesRepr is Python's repr() of a bytes object (b'…'), which 4.2 prints
// for output that is not UTF-8 ("Undecodable: b'\xff'").
func PyBytesRepr(p []byte) string {
	quote := byte('\'')
	if indexByte(p, '\'') >= 0 && indexByte(p, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(p) + 3)
	b.WriteByte('b')
	b.WriteByte(quote)
	const hex = "0123456789abcdef"
	for _, c := range p {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

// pyStrRepr is Python's repr() of a str, as 4.2 prints process names with
// %r ('x', or "it's").
func pyStrRepr(s string) string {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == quote || c == '\\' {
			simple = false
			break
		}
	}
	if simple {
		return string(quote) + s + string(quote)
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x` + pad(strconv.FormatInt(int64(r), 16), 2))
		case r >= 0x80 && !unicode.IsPrint(r):
			if r <= 0xff {
				b.WriteString(`\x` + pad(strconv.FormatInt(int64(r), 16), 2))
			} else if r <= 0xffff {
				b.WriteString(`\u` + pad(strconv.FormatInt(int64(r), 16), 4))
			} else {
				b.WriteString(`\U` + pad(strconv.FormatInt(int64(r), 16), 8))
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

func pad(s string, n int) string {
	for len(s) < n {
		s = "0" + s
	}
	return s
}
