// Package pyrepr renders values the way Python's repr() does. Supervisor 4.2
// embeds names, paths and command-line values in its messages with %r, and
// users (and their scripts) match on those texts, so super must quote them
// exactly alike.
package pyrepr

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// Str is repr() of a str. Bytes that are not UTF-8 cannot occur in text
// Python decoded strictly; they are shown as \xNN so they stay visible.
func Str(s string) string { return str(s, `\x`) }

// Arg is repr() of a str Python took from the command line: argv bytes that
// are not UTF-8 arrive as lone surrogates, which repr shows as \udcNN.
func Arg(s string) string { return str(s, `\udc`) }

// ArgList is repr() of a list of command-line strings: ['a', "b'"].
func ArgList(list []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Arg(s))
	}
	b.WriteByte(']')
	return b.String()
}

// quoteFor picks repr's quote: single, unless the text holds a single quote
// and no double quote.
func quoteFor(s string) byte {
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		return '"'
	}
	return '\''
}

func str(s, undecodable string) string {
	quote := quoteFor(s)
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == quote || c == '\\' {
			simple = false
			break
		}
	}
	if simple {
		// Most names and paths are plain ASCII: one allocation.
		return string(quote) + s + string(quote)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(undecodable)
			writeHex(&b, uint32(s[i]), 2)
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
		case r < 0x7f && r >= 0x20, r > 0x7f && unicode.IsPrint(r):
			// unicode.IsPrint is str.isprintable for non-ASCII runes: it
			// leaves out separators (Z*) and other (C*) categories.
			b.WriteRune(r)
		case r <= 0xff:
			b.WriteString(`\x`)
			writeHex(&b, uint32(r), 2)
		case r <= 0xffff:
			b.WriteString(`\u`)
			writeHex(&b, uint32(r), 4)
		default:
			b.WriteString(`\U`)
			writeHex(&b, uint32(r), 8)
		}
	}
	b.WriteByte(quote)
	return b.String()
}

func writeHex(b *strings.Builder, v uint32, digits int) {
	for shift := 4 * (digits - 1); shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(v>>shift)&15])
	}
}

// Bytes is repr() of a bytes object (b'…'), which 4.2 prints for child
// output that is not UTF-8 ("Undecodable: b'\xff'").
func Bytes(p []byte) string {
	quote := byte('\'')
	if bytes.IndexByte(p, '\'') >= 0 && bytes.IndexByte(p, '"') < 0 {
		quote = '"'
	}
	var b strings.Builder
	b.Grow(len(p) + 3)
	b.WriteByte('b')
	b.WriteByte(quote)
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
			writeHex(&b, uint32(c), 2)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
