package logging

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"super/core/config"
)

// The first matching line calls OnReady, once, whatever the chunks; then
// matching stops. Capture-mode text does not count; strip_ansi's output
// does.
func TestStreamReadyLine(t *testing.T) {
	calls := 0
	s := newStreamOpts(t, StreamOptions{
		Log: config.LogConfig{Logfile: filepath.Join(t.TempDir(), "x.log"), CaptureMaxbytes: 100}, StripANSI: true,
		ReadyLine: regexp.MustCompile(`^listening on :\d+$`), OnReady: func() { calls++ },
	})
	for _, chunk := range []string{"starting\n", "<!--XSUPERVISOR:BEGIN-->listening on :1\n<!--XSUPERVISOR:END-->", "not yet: listening on :80\nlisten",
		"ing on \x1b[1m:8", "080\x1b[0m", "\nlistening on :9\n"} {
		if calls != 0 {
			t.Fatalf("matched before %q", chunk)
		}
		s.Write([]byte(chunk))
	}
	if calls != 1 || s.ready != nil {
		t.Fatalf("%d calls, matcher kept %v", calls, s.ready != nil)
	}
	s.Write([]byte("listening on :10\n"))
	s.Close()
	if calls != 1 {
		t.Fatalf("%d calls", calls)
	}
}

// An unfinished last line is matched when the stream ends.
func TestStreamReadyLineAtClose(t *testing.T) {
	calls := 0
	s := newStreamOpts(t, StreamOptions{Log: config.LogConfig{Logfile: config.LogNone},
		ReadyLine: regexp.MustCompile(`ready`), OnReady: func() { calls++ }})
	s.Write([]byte("rea"))
	s.Write([]byte("dy"))
	if calls != 0 {
		t.Fatal("matched an unfinished line")
	}
	s.Close()
	if calls != 1 {
		t.Fatalf("%d calls at close", calls)
	}
}

// A program that never ends its line: held at most max bytes, matched in
// pieces of that size.
func TestReadyMatcherBounded(t *testing.T) {
	m := &readyMatcher{re: regexp.MustCompile(`^x{8}$`), onMatch: func() {}, max: 8}
	for i := 0; i < 100; i++ {
		if m.write([]byte("yyy")) {
			t.Fatal("matched")
		}
		if len(m.partial) > 8 {
			t.Fatalf("holding %d bytes", len(m.partial))
		}
	}
	m.partial = m.partial[:0]
	if !m.write([]byte(strings.Repeat("x", 8) + "zz")) {
		t.Fatal("the first 8-byte piece of a long line did not match")
	}
}

// A program without ready_log_line has no matcher: nothing per line.
func TestNoReadyLineNoMatcher(t *testing.T) {
	s := newStreamOpts(t, StreamOptions{Log: config.LogConfig{Logfile: config.LogNone}})
	if s.ready != nil {
		t.Fatal("a matcher without ready_log_line")
	}
}

// FuzzReadyMatcher: output in any chunks fires the match exactly in the
// chunk that completes the first matching line (or at close for a last
// line without its newline), and never otherwise.
func FuzzReadyMatcher(f *testing.F) {
	f.Add([]byte("a\nready 1\nb"), []byte{1, 2, 3})
	f.Add([]byte("ready 7"), []byte{4})
	f.Add([]byte("x\nread"), []byte{0, 1})
	re := regexp.MustCompile(`^ready [0-9]+$`)
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		// The reference: the end of the first matching line.
		end, atClose := -1, false
		pos := 0
		for _, line := range bytes.SplitAfter(data, []byte("\n")) {
			pos += len(line)
			complete := bytes.HasSuffix(line, []byte("\n"))
			if re.Match(bytes.TrimSuffix(line, []byte("\n"))) && (complete || len(line) > 0) {
				end, atClose = pos, !complete
				break
			}
		}
		fired := -1
		m := &readyMatcher{re: re, onMatch: func() {}, max: len(data) + 1}
		written := 0
		rest := data
		write := func(n int) {
			if fired < 0 && m.write(rest[:n]) {
				fired = written + n
			}
			written += n
			rest = rest[n:]
		}
		for _, k := range cuts {
			if len(rest) == 0 {
				break
			}
			write(min(int(k), len(rest)))
		}
		write(len(rest))
		closedMatch := fired < 0 && m.close()
		switch {
		case end < 0:
			if fired >= 0 || closedMatch {
				t.Fatalf("matched, but no line matches: %q", data)
			}
		case atClose:
			if !closedMatch {
				t.Fatalf("the unfinished last line matches but was not matched at close: %q (fired %d)", data, fired)
			}
		default:
			// It fires in the write that held the line's newline.
			if fired < end || fired-end >= chunkAt(data, cuts, end) {
				t.Fatalf("fired after %d bytes, the first matching line ends at %d: %q %v", fired, end, data, cuts)
			}
		}
	})
}

// chunkAt is how many bytes after offset end the chunk holding byte end-1
// goes on: a match may be reported only at that chunk's end.
func chunkAt(data, cuts []byte, end int) int {
	start := 0
	for _, k := range cuts {
		if start >= len(data) {
			break
		}
		n := min(int(k), len(data)-start)
		if start+n >= end && n > 0 {
			return start + n - end + 1
		}
		start += n
	}
	return len(data) - end + 1
}
