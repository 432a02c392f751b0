package process

import "errors"

// Errors of Split, with the texts of Python's shlex (4.2 puts them in
// "can't parse command 'x': No closing quotation").
var (
	ErrNoClosingQuote = errors.New("No closing quotation")
	ErrNoEscapedChar  = errors.New("No escaped character")
)

// Split splits a command line into words like Python's shlex.split (POSIX
// mode, no comments), which is how 4.2 turns `command=` into argv: blanks
// separate words, single quotes keep everything literally, double quotes
// keep everything but \" and \\, and a backslash outside quotes escapes the
// next character. No shell is involved: no globs, variables or pipes.
func Split(s string) ([]string, error) {
	const (
		blank = iota
		word
		single
		double
		escape
	)
	var (
		words   []string
		tok     []byte
		quoted  bool
		state   = blank
		escaped = word // state to return to after an escape
	)
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case blank, word:
			switch {
			case isSpace(c):
				if state == word || quoted {
					words = append(words, string(tok))
					tok, quoted = tok[:0], false
				}
				state = blank
			case c == '\\':
				escaped, state = word, escape
			case c == '\'':
				state, quoted = single, true
			case c == '"':
				state, quoted = double, true
			default:
				tok = append(tok, c)
				state = word
			}
		case single:
			if c == '\'' {
				state = word
			} else {
				tok = append(tok, c)
			}
		case double:
			switch c {
			case '"':
				state = word
			case '\\':
				escaped, state = double, escape
			default:
				tok = append(tok, c)
			}
		case escape:
			// Inside double quotes a backslash only escapes " and \.
			if escaped == double && c != '\\' && c != '"' {
				tok = append(tok, '\\')
			}
			tok = append(tok, c)
			state = escaped
		}
	}
	switch state {
	case single, double:
		return nil, ErrNoClosingQuote
	case escape:
		return nil, ErrNoEscapedChar
	case word:
		words = append(words, string(tok))
	case blank:
		if quoted {
			words = append(words, string(tok))
		}
	}
	return words, nil
}
