// Package envfile reads environment files: the KEY=VALUE files of
// systemd's EnvironmentFile= and of dotenv (.env), which environment_file=
// names. It is a leaf: it knows nothing of the configuration.
//
// The syntax, one assignment per line:
//
//	# a comment (also "; a comment"), and blank lines, are skipped
//	KEY=value                 unquoted: up to the end of the line, surrounding
//	                          blanks trimmed; " #" (a blank, then #) starts a
//	                          comment; backslashes and quotes inside are literal
//	export KEY=value          the "export " of shell scripts is allowed
//	KEY = value               blanks around "=" are allowed
//	KEY='literal $ \ text'    single quotes: everything literal, may span lines
//	KEY="a \"b\" \\ \n"       double quotes: \" \\ \$ \` and \n \t \r are
//	                          escapes, a backslash before a line break joins
//	                          the lines, any other backslash is kept; may span lines
//	KEY=                      an empty value
//
// Names are [A-Za-z_][A-Za-z0-9_]* (what a shell accepts). After a closing
// quote only blanks and a comment may follow. A name set twice keeps the
// last value. Nothing is expanded: "$HOME" stays "$HOME", as with systemd.
//
// Anything else is an error naming the file and the line, never skipped:
// a line that silently set nothing would be found only by its effect.
package envfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Var is one assignment, in file order.
type Var struct {
	Key, Value string
}

// MaxSize is the largest file Read accepts: it is read at every start of
// the programs that name it, and an environment larger than this could
// not be passed to exec anyway.
const MaxSize = 1 << 20

// Error is a malformed line (or a file that cannot be read).
type Error struct {
	File string
	Line int // 1-based; 0 when the file could not be read at all
	Msg  string
	Err  error // the read error, for errors.Is(err, fs.ErrNotExist)
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("environment file %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("environment file %s, line %d: %s", e.File, e.Line, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads and parses the file at path.
func Read(path string) ([]Var, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read it: " + errText(err), Err: err}
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot read it: " + errText(err), Err: err}
	}
	if len(data) > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	return Parse(path, data)
}

// errText is err without the "open /path:" that the message already says.
func errText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse parses data, the contents of the file named file (for errors).
func Parse(file string, data []byte) ([]Var, error) {
	p := parser{file: file, src: data, line: 1}
	var vars []Var
	for {
		v, ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return vars, nil
		}
		vars = append(vars, v)
	}
}

type parser struct {
	file string
	src  []byte
	pos  int
	line int
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v' }

func isNameStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isName(c byte) bool { return isNameStart(c) || '0' <= c && c <= '9' }

func (p *parser) eof() bool { return p.pos >= len(p.src) }

func (p *parser) peek() byte { return p.src[p.pos] }

func (p *parser) skipBlanks() {
	for !p.eof() && isBlank(p.peek()) {
		p.pos++
	}
}

// skipLine moves past the end of the current line.
func (p *parser) skipLine() {
	for !p.eof() && p.peek() != '\n' {
		p.pos++
	}
	if !p.eof() {
		p.pos++
		p.line++
	}
}

// restOfLine is the text up to the end of the line (without it).
func (p *parser) restOfLine() string {
	end := p.pos
	for end < len(p.src) && p.src[end] != '\n' {
		end++
	}
	return strings.TrimRight(string(p.src[p.pos:end]), " \t\r\f\v")
}

// next parses the next assignment; ok is false at the end of the file.
func (p *parser) next() (v Var, ok bool, err error) {
	for {
		p.skipBlanks()
		if p.eof() {
			return Var{}, false, nil
		}
		switch p.peek() {
		case '\n':
			p.skipLine()
			continue
		case '#', ';':
			p.skipLine()
			continue
		}
		break
	}
	line, lineStart := p.line, p.pos
	if bytes.HasPrefix(p.src[p.pos:], []byte("export")) && p.pos+6 < len(p.src) && isBlank(p.src[p.pos+6]) {
		p.pos += 6
		p.skipBlanks()
	}
	start := p.pos
	for !p.eof() && isName(p.peek()) {
		p.pos++
	}
	key := string(p.src[start:p.pos])
	p.skipBlanks()
	if key == "" || !isNameStart(key[0]) || (!p.eof() && p.peek() != '=') {
		p.pos = start
		bad := p.restOfLine()
		if i := strings.IndexByte(bad, '='); i > 0 {
			return Var{}, false, p.errorf(line, "invalid variable name %q: a name is letters, digits and _, not starting with a digit",
				strings.TrimRight(bad[:i], " \t\r\f\v"))
		}
		p.pos = lineStart
		return Var{}, false, p.errorf(line, "expected NAME=VALUE, got %q", p.restOfLine())
	}
	if p.eof() {
		return Var{}, false, p.errorf(line, "expected NAME=VALUE, got %q", key)
	}
	p.pos++ // '='
	value, err := p.value(line)
	if err != nil {
		return Var{}, false, err
	}
	if strings.IndexByte(value, 0) >= 0 {
		return Var{}, false, p.errorf(line, "the value of %s contains a NUL byte", key)
	}
	return Var{Key: key, Value: value}, true, nil
}

// value parses what follows "=" up to the end of its (last) line.
func (p *parser) value(line int) (string, error) {
	p.skipBlanks()
	if p.eof() {
		return "", nil
	}
	switch q := p.peek(); q {
	case '\'', '"':
		p.pos++
		var b strings.Builder
		for {
			if p.eof() {
				kind := "double"
				if q == '\'' {
					kind = "single"
				}
				return "", p.errorf(line, "unterminated %s-quoted value (no closing %c before the end of the file)", kind, q)
			}
			c := p.peek()
			p.pos++
			switch {
			case c == q:
				p.skipBlanks()
				if !p.eof() && p.peek() != '\n' && p.peek() != '#' {
					return "", p.errorf(p.line, "unexpected %q after the closing quote", p.restOfLine())
				}
				p.skipLine()
				return b.String(), nil
			case c == '\n':
				p.line++
				b.WriteByte(c)
			case c == '\r' && !p.eof() && p.peek() == '\n':
				// a CRLF line break inside quotes is a line break
			case c == '\\' && q == '"' && !p.eof():
				e := p.peek()
				p.pos++
				switch e {
				case '"', '\\', '$', '`':
					b.WriteByte(e)
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case 'r':
					b.WriteByte('\r')
				case '\n':
					p.line++ // a continued line
				case '\r':
					if !p.eof() && p.peek() == '\n' { // a continued line, CRLF
						p.pos++
						p.line++
					} else {
						b.WriteString("\\\r")
					}
				default:
					b.WriteByte('\\')
					b.WriteByte(e)
				}
			default:
				b.WriteByte(c)
			}
		}
	}
	// Unquoted: the rest of the line; a blank then '#' starts a comment.
	// The blanks skipped after '=' count, so "KEY= # note" is empty.
	rest := p.restOfLine()
	if p.pos > 0 && isBlank(p.src[p.pos-1]) && strings.HasPrefix(rest, "#") {
		rest = ""
	}
	for i := 1; i < len(rest); i++ {
		if rest[i] == '#' && isBlank(rest[i-1]) {
			rest = strings.TrimRight(rest[:i], " \t\r\f\v")
			break
		}
	}
	p.skipLine()
	return rest, nil
}
