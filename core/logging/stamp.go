package logging

import (
	"bytes"
	"time"
)

// lineStamper puts the time in front of every line of a stream's log
// file (stdout_logfile_timestamps): "2026-11-25T10:00:00.123+01:00 line".
// The time is the time the chunk holding the line's start was read,
// formatted once per chunk (stampCache); a line cut across chunks gets
// its time once, at its start.
//
// The stamped text is gathered in a buffer of the stream's, reused, so no
// chunk or line costs an allocation, and handed out whenever it holds
// stampFlush bytes: a stream keeps at most that much (plus a line),
// however large the chunks (up to 128 KiB) it once got. A line longer
// than that goes out straight from the chunk, after its time.
type lineStamper struct {
	midLine bool // the last byte written was not a newline: no time before the next
	stamps  stampCache
	buf     []byte
}

const stampFlush = 16 << 10

// write writes p to out with the time t in front of each line begun.
func (ls *lineStamper) write(out func([]byte), p []byte, t time.Time) {
	if len(p) == 0 {
		return
	}
	b := ls.buf[:0]
	stamp := ls.stamps.stamp(t)
	for len(p) > 0 {
		if !ls.midLine {
			b = append(b, stamp...)
			b = append(b, ' ')
		}
		i := bytes.IndexByte(p, '\n')
		line := p
		if i >= 0 {
			line = p[:i+1]
		}
		p = p[len(line):]
		ls.midLine = i < 0
		if len(line) > stampFlush {
			if len(b) > 0 {
				out(b)
				b = b[:0]
			}
			out(line)
			continue
		}
		b = append(b, line...)
		if len(b) >= stampFlush {
			out(b)
			b = b[:0]
		}
	}
	if len(b) > 0 {
		out(b)
	}
	ls.buf = b[:0]
}
