package logging

import (
	"bytes"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// Console is one of the daemon's own output streams (its stdout or its
// stderr) that container_logs copies every program's output lines to, so a
// container runtime collects them as the container's log.
//
// Every ConsoleWriter of one Console shares its lock and its batch buffer:
// the complete lines found in one chunk of a program's output are gathered
// under the lock and written with one write call, so whole lines of
// different programs never mix and no line costs an allocation.
type Console struct {
	mu      sync.Mutex
	w       io.Writer
	buf     []byte // the batch being gathered; reused
	failing bool   // the last write failed: the next failure is not news
	err     error  // first failure of this episode, not yet reported
	lineMax int    // consoleLineMax; smaller in tests
	now     func() time.Time
}

// NewConsole returns a Console writing to w.
func NewConsole(w io.Writer) *Console { return &Console{w: w, lineMax: consoleLineMax, now: now} }

// The daemon's own standard output and error.
var (
	StdoutConsole = NewConsole(os.Stdout)
	StderrConsole = NewConsole(os.Stderr)
)

const (
	// consoleLineMax bounds a line: a longer one (or a partial line held
	// that long without its newline) is written as pieces of this size,
	// each ending in a newline, so a program that never ends its line
	// cannot make the daemon hold unbounded memory.
	consoleLineMax = 64 << 10
	// consoleBatchMax: a batch reaching this size is written out at once
	// (still whole lines), keeping the shared buffer small.
	consoleBatchMax = 64 << 10
)

var sigpipeOnce sync.Once

// ConsoleFormat is how lines are written on the console
// ([supervisord] container_logs_format, container_logs_timestamps).
type ConsoleFormat struct {
	// JSON: one JSON object per line (jsonline.go) instead of
	// "name | line".
	JSON bool
	// Timestamps: plain lines start with the time the chunk holding their
	// end was read, "2026-11-25T10:00:00.123+01:00 name | line". (JSON
	// lines always have their time.)
	Timestamps bool
}

// ConsoleSource names the stream whose lines a ConsoleWriter writes.
type ConsoleSource struct {
	Name    string // the plain prefix: the namespec ("web", "grp:web_0")
	Program string // the section's name: [program:web] → "web"
	Group   string
	Process string
	Stream  string // "stdout" or "stderr"
}

// Writer returns the writer of one program's stream: each line becomes
// "name | line\n" on c. report, when not nil, is called with the first
// write error of each episode of failures (the console's, not only this
// writer's), so a closed or broken stdout is logged once and never stops
// the program's output being drained.
//
// Write and Close of one ConsoleWriter must not run concurrently (a
// Stream serializes them); different writers may.
func (c *Console) Writer(name string, report func(error)) *ConsoleWriter {
	return c.FormatWriter(ConsoleSource{Name: name}, ConsoleFormat{}, report)
}

// FormatWriter is Writer for the lines of src in format f.
func (c *Console) FormatWriter(src ConsoleSource, f ConsoleFormat, report func(error)) *ConsoleWriter {
	// A write to a broken pipe on fd 1 or 2 makes the Go runtime kill the
	// process with SIGPIPE unless SIGPIPE is notified; with it notified
	// the write only fails with EPIPE. Notify (not Ignore) leaves the
	// disposition of spawned children at its default.
	sigpipeOnce.Do(func() { signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE) })
	w := &ConsoleWriter{c: c, report: report, json: f.JSON, stamped: f.JSON || f.Timestamps}
	switch {
	case f.JSON:
		w.fixed = jsonHead(src)
	case f.Timestamps:
		w.fixed = []byte(" " + src.Name + " | ")
	default:
		w.fixed = []byte(src.Name + " | ")
		w.head = w.fixed
	}
	return w
}

// ConsoleWriter turns one program stream's chunks into prefixed lines on
// a Console. A line without its newline yet is held until the newline
// comes, until it reaches 64 KiB, or until Close.
type ConsoleWriter struct {
	c       *Console
	partial []byte // the last line begun, not yet ended
	report  func(error)

	// What each line starts with: head. Plain lines without timestamps
	// have a constant head ("name | "); otherwise head is made once per
	// chunk: the time, then fixed (" name | ", or a JSON object's fields).
	head    []byte
	fixed   []byte
	stamped bool // head starts with the time of the chunk
	json    bool // lines are JSON objects: text escaped, closed by jsonClose
	stamps  stampCache
	join    []byte // JSON: a held partial line joined with its end
}

// Write sends the complete lines of p and holds its unfinished last line.
// It always returns len(p), nil: a console failure goes to report.
func (w *ConsoleWriter) Write(p []byte) (int, error) {
	if w.stamped {
		return w.writeFormatted(p)
	}
	// Plain lines: today's container_logs, the loop kept to itself.
	n := len(p)
	max := w.c.lineMax
	if len(w.partial)+len(p) <= max && bytes.IndexByte(p, '\n') < 0 {
		w.partial = append(w.partial, p...) // nothing to write yet
		return n, nil
	}
	c := w.c
	c.mu.Lock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := max - len(w.partial)
			if len(p) <= room {
				w.partial = append(w.partial, p...)
				break
			}
			w.partial = append(w.partial, p[:room]...)
			c.line(w.head, w.partial, nil)
			w.partial = w.partial[:0]
			p = p[room:]
			continue
		}
		if len(w.partial) == 0 && i <= max { // the usual line: copied with its newline
			c.whole(w.head, p[:i+1])
			p = p[i+1:]
			continue
		}
		seg := p[:i]
		p = p[i+1:]
		for len(w.partial)+len(seg) > max {
			k := max - len(w.partial)
			c.line(w.head, w.partial, seg[:k])
			w.partial = w.partial[:0]
			seg = seg[k:]
		}
		c.line(w.head, w.partial, seg)
		w.partial = w.partial[:0]
	}
	err := c.flush()
	c.mu.Unlock()
	w.shrink()
	if err != nil && w.report != nil {
		w.report(err)
	}
	return n, nil
}

// writeFormatted is Write for timestamped and JSON lines: the same loop,
// with the head of the lines made once for the chunk.
func (w *ConsoleWriter) writeFormatted(p []byte) (int, error) {
	n := len(p)
	max := w.c.lineMax
	if len(w.partial)+len(p) <= max && bytes.IndexByte(p, '\n') < 0 {
		w.partial = append(w.partial, p...) // nothing to write yet
		return n, nil
	}
	w.stampHead()
	c := w.c
	c.mu.Lock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			room := max - len(w.partial)
			if len(p) <= room {
				w.partial = append(w.partial, p...)
				break
			}
			w.partial = append(w.partial, p[:room]...)
			w.line(w.partial, nil)
			w.partial = w.partial[:0]
			p = p[room:]
			continue
		}
		if len(w.partial) == 0 && i <= max { // the usual line
			if w.json {
				c.jsonLine(w.head, p[:i])
			} else {
				c.whole(w.head, p[:i+1])
			}
			p = p[i+1:]
			continue
		}
		seg := p[:i]
		p = p[i+1:]
		for len(w.partial)+len(seg) > max {
			k := max - len(w.partial)
			w.line(w.partial, seg[:k])
			w.partial = w.partial[:0]
			seg = seg[k:]
		}
		w.line(w.partial, seg)
		w.partial = w.partial[:0]
	}
	err := c.flush()
	c.mu.Unlock()
	w.shrink()
	if err != nil && w.report != nil {
		w.report(err)
	}
	return n, nil
}

// stampHead makes head for the lines ended by this chunk: their time (the
// time the chunk was read), then the fixed part.
func (w *ConsoleWriter) stampHead() {
	w.head = w.head[:0]
	if w.json {
		w.head = append(w.head, jsonOpen...)
	}
	w.head = append(w.head, w.stamps.stamp(w.c.now())...)
	w.head = append(w.head, w.fixed...)
}

// line writes the line a+b (a newline added); c.mu is held.
func (w *ConsoleWriter) line(a, b []byte) {
	if !w.json {
		w.c.line(w.head, a, b) // plain or timestamped
		return
	}
	// Escaped as one text: a multi-byte character may be split between
	// the held part and its end.
	if len(a) > 0 && len(b) > 0 {
		w.join = append(append(w.join[:0], a...), b...)
		a = w.join
	} else if len(b) > 0 {
		a = b
	}
	w.c.jsonLine(w.head, a)
}

// Close writes out a held partial line, with a newline added: the
// program's stream has ended.
func (w *ConsoleWriter) Close() error {
	if len(w.partial) == 0 {
		return nil
	}
	if w.stamped {
		w.stampHead()
	}
	c := w.c
	c.mu.Lock()
	w.line(w.partial, nil) // plain, timestamped or JSON
	err := c.flush()
	c.mu.Unlock()
	w.partial = nil
	w.join = nil
	if err != nil && w.report != nil {
		w.report(err)
	}
	return nil
}

// shrink lets a large held-line buffer go once it is empty: most streams
// hold a few bytes at most, and a program that once held 64 KiB should
// not keep that much per stream.
func (w *ConsoleWriter) shrink() {
	if len(w.partial) == 0 && cap(w.partial) > 4<<10 {
		w.partial = nil
	}
	if cap(w.join) > 4<<10 {
		w.join = nil
	}
}

// line appends "prefix a b\n" to the batch; c.mu is held.
func (c *Console) line(prefix, a, b []byte) {
	if len(c.buf) >= consoleBatchMax {
		c.write()
	}
	c.buf = append(c.buf, prefix...)
	c.buf = append(c.buf, a...)
	c.buf = append(c.buf, b...)
	c.buf = append(c.buf, '\n')
}

// whole appends "prefix line" to the batch, line ending in its newline;
// c.mu is held.
func (c *Console) whole(prefix, line []byte) {
	if len(c.buf) >= consoleBatchMax {
		c.write()
	}
	c.buf = append(c.buf, prefix...)
	c.buf = append(c.buf, line...)
}

// jsonLine appends a JSON object: head (its start, up to the line's
// opening quote), the line escaped, and its end; c.mu is held.
func (c *Console) jsonLine(head, line []byte) {
	if len(c.buf) >= consoleBatchMax {
		c.write()
	}
	c.buf = append(c.buf, head...)
	c.buf = appendJSONText(c.buf, line)
	c.buf = append(c.buf, jsonClose...)
}

// Raw returns a writer of whole lines straight to the console, under its
// lock, so they never land inside a batch: the activity log's echo when
// programs' lines go to the same stream.
func (c *Console) Raw() io.Writer { return rawConsole{c} }

type rawConsole struct{ c *Console }

func (r rawConsole) Write(p []byte) (int, error) {
	r.c.mu.Lock()
	defer r.c.mu.Unlock()
	return r.c.w.Write(p)
}

// flush writes the batch and returns the first error of a failure
// episode once (nil otherwise); c.mu is held.
func (c *Console) flush() error {
	c.write()
	err := c.err
	c.err = nil
	return err
}

// write writes the batch in one call, keeping the first error of a failure
// episode for flush to report (a batch written out midway through a Write
// must not lose it); c.mu is held.
func (c *Console) write() {
	if len(c.buf) == 0 {
		return
	}
	_, err := c.w.Write(c.buf)
	c.buf = c.buf[:0]
	switch {
	case err == nil:
		c.failing = false
	case !c.failing:
		c.failing, c.err = true, err
	}
}
