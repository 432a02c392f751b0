package xmlrpc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"
)

// The decoders read a document as a stream of tokens: start tags, end tags
// and character data. Two sources produce that stream:
//
//   - scanner, a hand-written tokenizer over the whole document in memory,
//     for the subset of XML that XML-RPC documents use. encoding/xml's
//     tokenizer reads byte by byte through interfaces and allocates per
//     token; a 100-process getAllProcessInfo answer took milliseconds to
//     read, which supervisorctl status paid on every run.
//   - stdTokenizer, encoding/xml's tokenizer: the reference for what is
//     well-formed.
//
// The scanner accepts only documents it is certain encoding/xml accepts
// with the same tokens (FuzzScannerMatchesStd checks this); anything else —
// a malformed document, a DOCTYPE, a non-ASCII tag name — makes it give up
// and the document is read again by stdTokenizer, whose answer (value or
// error) is final. Well-formed XML-RPC takes the fast path only.

type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
)

// token is one start tag, end tag or run of decoded character data. name
// (start and end tags) is the qualified name as written; text is only valid
// until the next call of next.
type token struct {
	kind tokKind
	name []byte
	text []byte
}

// local is the name without its namespace prefix, as encoding/xml splits
// it: "ex:i8" is "i8", while "a:" and ":a" have no prefix.
func (t token) local() []byte {
	if i := bytes.IndexByte(t.name, ':'); i > 0 && i < len(t.name)-1 {
		return t.name[i+1:]
	}
	return t.name
}

// tokenSource yields the tokens of one document: exactly one root element,
// end tags matching their start tags, nesting bounded by maxDecodeDepth,
// only whitespace, comments and processing instructions outside the root;
// io.EOF after the root element has closed.
type tokenSource interface {
	next() (token, error)
}

// errGiveUp is the scanner's only error: the document is malformed or
// outside the subset it handles, and stdTokenizer decides.
var errGiveUp = malformed("document needs the full XML tokenizer")

type scanner struct {
	doc     []byte
	pos     int
	open    [][]byte // names of the open elements (slices of doc)
	roots   int
	closing bool   // the last start tag was self-closing: its end comes next
	buf     []byte // decoded text when it differs from the raw bytes
}

func newScanner(doc []byte) *scanner {
	return &scanner{doc: doc, open: make([][]byte, 0, 16)}
}

func (s *scanner) next() (token, error) {
	if s.closing {
		s.closing = false
		name := s.open[len(s.open)-1]
		s.open = s.open[:len(s.open)-1]
		return token{kind: tokEnd, name: name}, nil
	}
	for {
		if s.pos >= len(s.doc) {
			if s.roots == 0 || len(s.open) > 0 {
				return token{}, errGiveUp
			}
			return token{}, io.EOF
		}
		if s.doc[s.pos] != '<' {
			end := bytes.IndexByte(s.doc[s.pos:], '<')
			if end < 0 {
				end = len(s.doc)
			} else {
				end += s.pos
			}
			raw := s.doc[s.pos:end]
			s.pos = end
			if len(s.open) == 0 {
				if !allSpace(raw) {
					return token{}, errGiveUp
				}
				continue
			}
			text, ok := s.charData(raw)
			if !ok {
				return token{}, errGiveUp
			}
			return token{kind: tokText, text: text}, nil
		}
		s.pos++
		if s.pos >= len(s.doc) {
			return token{}, errGiveUp
		}
		switch s.doc[s.pos] {
		case '/':
			s.pos++
			name, ok := s.name(true)
			if !ok {
				return token{}, errGiveUp
			}
			s.space()
			if s.pos >= len(s.doc) || s.doc[s.pos] != '>' {
				return token{}, errGiveUp
			}
			s.pos++
			if len(s.open) == 0 || !bytes.Equal(s.open[len(s.open)-1], name) {
				return token{}, errGiveUp
			}
			s.open = s.open[:len(s.open)-1]
			return token{kind: tokEnd, name: name}, nil
		case '?':
			s.pos++
			if !s.procInst() {
				return token{}, errGiveUp
			}
		case '!':
			rest := s.doc[s.pos+1:]
			switch {
			case bytes.HasPrefix(rest, []byte("--")):
				s.pos += 3
				if !s.comment() {
					return token{}, errGiveUp
				}
			case bytes.HasPrefix(rest, []byte("[CDATA[")) && len(s.open) > 0:
				s.pos += 8
				end := bytes.Index(s.doc[s.pos:], []byte("]]>"))
				if end < 0 {
					return token{}, errGiveUp
				}
				raw := s.doc[s.pos : s.pos+end]
				s.pos += end + 3
				text, ok := s.cdata(raw)
				if !ok {
					return token{}, errGiveUp
				}
				return token{kind: tokText, text: text}, nil
			default:
				// <!DOCTYPE …>, CDATA outside the root, a broken <!-.
				return token{}, errGiveUp
			}
		default:
			return s.startTag()
		}
	}
}

func (s *scanner) startTag() (token, error) {
	name, ok := s.name(true)
	if !ok {
		return token{}, errGiveUp
	}
	for {
		s.space()
		if s.pos >= len(s.doc) {
			return token{}, errGiveUp
		}
		c := s.doc[s.pos]
		if c == '>' || c == '/' {
			s.pos++
			if c == '/' {
				if s.pos >= len(s.doc) || s.doc[s.pos] != '>' {
					return token{}, errGiveUp
				}
				s.pos++
				s.closing = true
			}
			break
		}
		if !s.attribute() {
			return token{}, errGiveUp
		}
	}
	if len(s.open) == 0 {
		if s.roots++; s.roots > 1 {
			return token{}, errGiveUp
		}
	}
	if len(s.open) >= maxDecodeDepth {
		return token{}, errGiveUp
	}
	s.open = append(s.open, name)
	return token{kind: tokStart, name: name}, nil
}

// attribute skips name="value" (values are checked, never used: XML-RPC
// has no attributes, only namespace declarations appear in practice).
func (s *scanner) attribute() bool {
	if _, ok := s.name(true); !ok {
		return false
	}
	s.space()
	if s.pos >= len(s.doc) || s.doc[s.pos] != '=' {
		return false
	}
	s.pos++
	s.space()
	if s.pos >= len(s.doc) {
		return false
	}
	q := s.doc[s.pos]
	if q != '"' && q != '\'' {
		return false
	}
	s.pos++
	end := bytes.IndexByte(s.doc[s.pos:], q)
	if end < 0 {
		return false
	}
	raw := s.doc[s.pos : s.pos+end]
	s.pos += end + 1
	if bytes.IndexByte(raw, '<') >= 0 {
		return false
	}
	_, ok := s.decode(raw)
	return ok
}

// name reads an ASCII XML name. encoding/xml splits a name at its only
// colon; with two colons (ns) it is not a name. Names with other
// characters are left to encoding/xml.
func (s *scanner) name(ns bool) ([]byte, bool) {
	start := s.pos
	if start >= len(s.doc) || !nameStart[s.doc[start]] {
		return nil, false
	}
	colons := 0
	i := start
	for ; i < len(s.doc) && nameByte[s.doc[i]]; i++ {
		if s.doc[i] == ':' {
			colons++
		}
	}
	if i < len(s.doc) && s.doc[i] >= utf8.RuneSelf || ns && colons > 1 {
		return nil, false
	}
	s.pos = i
	return s.doc[start:i], true
}

var nameStart, nameByte = func() (first, rest [256]bool) {
	for c := 0; c < 256; c++ {
		letter := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '_' || c == ':'
		first[c] = letter
		rest[c] = letter || '0' <= c && c <= '9' || c == '.' || c == '-'
	}
	return
}()

func (s *scanner) space() {
	for s.pos < len(s.doc) && isSpace(s.doc[s.pos]) {
		s.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func allSpace(b []byte) bool {
	for _, c := range b {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// procInst skips <?target …?>; the XML declaration must say version 1.0
// if it names one. The encoding it declares does not matter: both Python
// ends read every document as UTF-8 text.
func (s *scanner) procInst() bool {
	target, ok := s.name(false)
	if !ok {
		return false
	}
	s.space()
	end := bytes.Index(s.doc[s.pos:], []byte("?>"))
	if end < 0 {
		return false
	}
	content := s.doc[s.pos : s.pos+end]
	s.pos += end + 2
	if string(target) == "xml" {
		if v := procInstParam("version", string(content)); v != "" && v != "1.0" {
			return false
		}
	}
	return true
}

// procInstParam is encoding/xml's reading of param='value' in a
// processing instruction.
func procInstParam(param, s string) string {
	param += "="
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || len(param)+k >= len(sub) {
			return ""
		}
		i += len(param) + k + 1
		if c := sub[len(param)+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// comment skips a comment's body and "-->"; "--" may not occur inside.
func (s *scanner) comment() bool {
	end := bytes.Index(s.doc[s.pos:], []byte("--"))
	if end < 0 || s.pos+end+2 >= len(s.doc) || s.doc[s.pos+end+2] != '>' {
		return false
	}
	s.pos += end + 3
	return true
}

// charData decodes a run of text between tags: entity and character
// references, line ends normalised to LF; "]]>" may not occur.
func (s *scanner) charData(raw []byte) ([]byte, bool) {
	// Most runs (the line breaks between tags, names, numbers) are plain
	// ASCII: one pass proves it and the raw bytes are the text.
	plain := true
	for _, c := range raw {
		if c < 0x20 && c != '\n' && c != '\t' || c >= utf8.RuneSelf || c == '&' || c == ']' {
			plain = false
			break
		}
	}
	if plain {
		return raw, true
	}
	if bytes.Contains(raw, []byte("]]>")) {
		return nil, false
	}
	return s.decode(raw)
}

// cdata is a CDATA section's text: line ends normalised, nothing else.
func (s *scanner) cdata(raw []byte) ([]byte, bool) {
	text := raw
	if bytes.IndexByte(raw, '\r') >= 0 {
		s.buf = appendNormalized(s.buf[:0], raw)
		text = s.buf
	}
	return text, validText(text)
}

func appendNormalized(dst, raw []byte) []byte {
	for i, c := range raw {
		if c == '\r' {
			c = '\n'
		} else if c == '\n' && i > 0 && raw[i-1] == '\r' {
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

// decode expands references and normalises line ends, then checks that
// the result holds only characters XML allows (encoding/xml checks the
// decoded text, so "&#1;" is refused and "&#xD800;" reads as U+FFFD).
func (s *scanner) decode(raw []byte) ([]byte, bool) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, validText(raw)
	}
	out := s.buf[:0]
	if cap(out) < len(raw) {
		out = make([]byte, 0, len(raw))
	}
	for len(raw) > 0 {
		i := indexSpecial(raw)
		if i < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:i]...)
		if raw[i] == '&' {
			var next int
			var ok bool
			if out, next, ok = appendReference(out, raw, i+1); !ok {
				return nil, false
			}
			raw = raw[next:]
			continue
		}
		// CR and CRLF read as LF.
		out = append(out, '\n')
		raw = raw[i+1:]
		if len(raw) > 0 && raw[0] == '\n' {
			raw = raw[1:]
		}
	}
	s.buf = out
	return out, validText(out)
}

// indexSpecial is the index of the first '&' or '\r' in b, or -1.
func indexSpecial(b []byte) int {
	for i, c := range b {
		if c == '&' || c == '\r' {
			return i
		}
	}
	return -1
}

// appendReference decodes the reference starting at raw[i] (just after
// '&') and returns the index after its ';'.
func appendReference(out, raw []byte, i int) ([]byte, int, bool) {
	end := bytes.IndexByte(raw[i:], ';')
	if end < 0 {
		return nil, 0, false
	}
	ref := raw[i : i+end]
	next := i + end + 1
	if len(ref) > 1 && ref[0] == '#' {
		digits, base := ref[1:], rune(10)
		if digits[0] == 'x' {
			digits, base = digits[1:], 16
		}
		if len(digits) == 0 {
			return nil, 0, false
		}
		var r rune
		for _, d := range digits {
			var v rune
			switch {
			case '0' <= d && d <= '9':
				v = rune(d - '0')
			case base == 16 && 'a' <= d && d <= 'f':
				v = rune(d-'a') + 10
			case base == 16 && 'A' <= d && d <= 'F':
				v = rune(d-'A') + 10
			default:
				return nil, 0, false
			}
			if r = r*base + v; r > utf8.MaxRune {
				return nil, 0, false
			}
		}
		return utf8.AppendRune(out, r), next, true
	}
	switch string(ref) {
	case "lt":
		out = append(out, '<')
	case "gt":
		out = append(out, '>')
	case "amp":
		out = append(out, '&')
	case "apos":
		out = append(out, '\'')
	case "quot":
		out = append(out, '"')
	default:
		return nil, 0, false
	}
	return out, next, true
}

// validText reports whether b is UTF-8 made of XML 1.0 characters only.
func validText(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}

// stdTokenizer is the tokenSource over encoding/xml, with expat's rules on
// top (exactly one root, no text outside it, matching end tags).
type stdTokenizer struct {
	d     *xml.Decoder
	open  []xml.Name // open elements, to check end tags (RawToken does not)
	roots int
	name  []byte
}

func newStdTokenizer(r io.Reader) *stdTokenizer {
	d := xml.NewDecoder(r)
	// Both Python ends hand expat text that is already Unicode, so the
	// declared encoding never matters there; read every document as UTF-8.
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	return &stdTokenizer{d: d}
}

func (t *stdTokenizer) qualified(n xml.Name) []byte {
	t.name = t.name[:0]
	if n.Space != "" {
		t.name = append(append(t.name, n.Space...), ':')
	}
	t.name = append(t.name, n.Local...)
	return t.name
}

func (t *stdTokenizer) next() (token, error) {
	for {
		// RawToken skips Token's namespace bookkeeping and copying, which
		// cost more than the parse itself; nesting is checked here instead.
		tok, err := t.d.RawToken()
		if err != nil {
			if err == io.EOF {
				if t.roots == 0 || len(t.open) > 0 {
					return token{}, malformed("no element found")
				}
				return token{}, io.EOF
			}
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return token{}, malformed("%v", se)
			}
			return token{}, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(t.open) == 0 {
				if t.roots++; t.roots > 1 {
					return token{}, malformed("junk after document element")
				}
			}
			if len(t.open) >= maxDecodeDepth {
				return token{}, malformed("elements nested deeper than %d", maxDecodeDepth)
			}
			t.open = append(t.open, tok.Name)
			return token{kind: tokStart, name: t.qualified(tok.Name)}, nil
		case xml.EndElement:
			if len(t.open) == 0 || t.open[len(t.open)-1] != tok.Name {
				return token{}, malformed("mismatched end tag </%s>", tok.Name.Local)
			}
			t.open = t.open[:len(t.open)-1]
			return token{kind: tokEnd, name: t.qualified(tok.Name)}, nil
		case xml.CharData:
			if len(t.open) == 0 {
				if strings.TrimLeft(string(tok), " \t\r\n") != "" {
					return token{}, malformed("text outside the document element")
				}
				continue
			}
			return token{kind: tokText, text: tok}, nil
		}
	}
}
