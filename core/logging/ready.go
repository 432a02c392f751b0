package logging

import (
	"bytes"
	"regexp"
)

// readyMatcher watches a stream's output for ready_log_line: each line
// (after strip_ansi, without capture-mode blocks: what the log file gets)
// is matched until one matches; then onMatch is called once and the
// matcher is dropped, so a ready program's output costs nothing more, and
// a program without the key never had one.
//
// A line in one chunk is matched where it lies; only a line cut across
// chunks is gathered (at most readyLineMax bytes: a longer one is matched
// in pieces of that size, so a program that never ends its line cannot
// make the daemon hold unbounded memory).
type readyMatcher struct {
	re      *regexp.Regexp
	onMatch func()
	partial []byte
	max     int // readyLineMax; smaller in tests
}

const readyLineMax = 64 << 10

// write matches the lines p completes; it reports whether one matched
// (onMatch was called).
func (m *readyMatcher) write(p []byte) bool {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			for len(m.partial)+len(p) > m.max {
				k := m.max - len(m.partial)
				m.partial = append(m.partial, p[:k]...)
				p = p[k:]
				if m.match(m.partial) {
					return true
				}
				m.partial = m.partial[:0]
			}
			m.partial = append(m.partial, p...)
			return false
		}
		line := p[:i]
		p = p[i+1:]
		if len(m.partial) > 0 {
			m.partial = append(m.partial, line...)
			line = m.partial
			for len(line) > m.max { // matched in pieces, as above
				if m.match(line[:m.max]) {
					return true
				}
				line = line[m.max:]
			}
		}
		if m.match(line) {
			return true
		}
		m.partial = m.partial[:0]
	}
	return false
}

// close matches the unfinished last line: the stream has ended.
func (m *readyMatcher) close() bool {
	return len(m.partial) > 0 && m.match(m.partial)
}

func (m *readyMatcher) match(line []byte) bool {
	if !m.re.Match(line) {
		return false
	}
	m.onMatch()
	return true
}
