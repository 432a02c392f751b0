package logging

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"super/core/config"
)

// writeLog records every write call it gets, so tests can see batches.
type writeLog struct {
	mu     sync.Mutex
	writes []string
	err    error // returned by every write while set
}

func (l *writeLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	l.writes = append(l.writes, string(p))
	return len(p), nil
}

func (l *writeLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.writes, "")
}

func (l *writeLog) calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.writes...)
}

// consoleRef is what the console must show for data written in any
// chunks and then closed: each line prefixed, lines longer than max cut
// into max-byte pieces, an unfinished last line ended by a newline.
func consoleRef(name string, data string, max int) string {
	var b strings.Builder
	for data != "" {
		line, rest, found := strings.Cut(data, "\n")
		data = rest
		for len(line) > max {
			b.WriteString(name + " | " + line[:max] + "\n")
			line = line[max:]
		}
		if line != "" || found {
			b.WriteString(name + " | " + line + "\n")
		}
	}
	return b.String()
}

func TestConsoleWriterLines(t *testing.T) {
	for _, c := range []struct {
		chunks []string
		want   string // after the last chunk, before Close
		closed string // after Close
	}{
		{[]string{"one\n"}, "web | one\n", "web | one\n"},
		{[]string{"one\ntwo\n"}, "web | one\nweb | two\n", "web | one\nweb | two\n"},
		{[]string{"on", "e\ntw", "o\n"}, "web | one\nweb | two\n", "web | one\nweb | two\n"},
		{[]string{"a", "b", "c"}, "", "web | abc\n"},
		{[]string{"\n\n"}, "web | \nweb | \n", "web | \nweb | \n"},
		{[]string{"x\ny"}, "web | x\n", "web | x\nweb | y\n"},
		{[]string{"", "x", "", "\n"}, "web | x\n", "web | x\n"},
		{[]string{"cr\r\n"}, "web | cr\r\n", "web | cr\r\n"},
		{nil, "", ""},
	} {
		out := &writeLog{}
		w := NewConsole(out).Writer("web", nil)
		for _, ch := range c.chunks {
			if n, err := w.Write([]byte(ch)); n != len(ch) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", ch, n, err)
			}
		}
		if got := out.all(); got != c.want {
			t.Errorf("%q: console %q, want %q", c.chunks, got, c.want)
		}
		w.Close()
		if got := out.all(); got != c.closed {
			t.Errorf("%q: after close %q, want %q", c.chunks, got, c.closed)
		}
	}
}

// The complete lines of one chunk go out in one write call.
func TestConsoleWriterOneWritePerChunk(t *testing.T) {
	out := &writeLog{}
	w := NewConsole(out).Writer("g:p", nil)
	w.Write([]byte("held"))
	w.Write([]byte(" line\nsecond\nthird\nfour"))
	calls := out.calls()
	if len(calls) != 1 || calls[0] != "g:p | held line\ng:p | second\ng:p | third\n" {
		t.Fatalf("writes %q", calls)
	}
}

// A line longer than the cap is written in cap-sized pieces, whether it
// came in one chunk or held across many, so memory stays bounded.
func TestConsoleWriterLineCap(t *testing.T) {
	out := &writeLog{}
	c := NewConsole(out)
	w := c.Writer("p", nil)
	big := strings.Repeat("a", consoleLineMax) + strings.Repeat("b", 10)
	w.Write([]byte(big))
	if got := out.all(); got != "p | "+strings.Repeat("a", consoleLineMax)+"\n" {
		t.Fatalf("after %d bytes without a newline the console has %d bytes", len(big), len(got))
	}
	if len(w.partial) != 10 {
		t.Fatalf("holding %d bytes, want the 10 past the cap", len(w.partial))
	}
	w.Write([]byte("\n"))
	if got := out.all(); !strings.HasSuffix(got, "\np | bbbbbbbbbb\n") {
		t.Fatalf("tail %q", got[len(got)-30:])
	}

	// Held in many small chunks: never more than the cap held.
	out2 := &writeLog{}
	c2 := NewConsole(out2)
	c2.lineMax = 8
	w2 := c2.Writer("p", nil)
	for i := 0; i < 20; i++ {
		w2.Write([]byte("xyz"))
		if len(w2.partial) > 8 {
			t.Fatalf("holding %d bytes, cap 8", len(w2.partial))
		}
	}
	w2.Close()
	if got, want := out2.all(), consoleRef("p", strings.Repeat("xyz", 20), 8); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Many programs writing at once: every write call holds only whole
// lines, each line carries its writer's prefix, and every writer's lines
// arrive once, in order.
func TestConsoleWriterConcurrent(t *testing.T) {
	out := &writeLog{}
	c := NewConsole(out)
	const writers, lines = 16, 2000
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := fmt.Sprintf("prog_%02d", i)
			w := c.Writer(name, nil)
			var data []byte
			for n := 0; n < lines; n++ {
				data = append(data, fmt.Sprintf("%s line %d %s\n", name, n, strings.Repeat("=", n%50))...)
			}
			r := rand.New(rand.NewSource(int64(i)))
			for len(data) > 0 {
				k := 1 + r.Intn(300)
				if k > len(data) {
					k = len(data)
				}
				w.Write(data[:k])
				data = data[k:]
			}
			w.Close()
		}(i)
	}
	wg.Wait()
	next := map[string]int{}
	for _, call := range out.calls() {
		if !strings.HasSuffix(call, "\n") {
			t.Fatalf("a write ends mid-line: %q", call)
		}
		for _, line := range strings.Split(strings.TrimSuffix(call, "\n"), "\n") {
			prefix, body, ok := strings.Cut(line, " | ")
			f := strings.Fields(body)
			if !ok || len(f) < 3 || f[0] != prefix || f[1] != "line" {
				t.Fatalf("mixed line %q", line)
			}
			n, _ := strconv.Atoi(f[2])
			if n != next[prefix] || body != fmt.Sprintf("%s line %d %s", prefix, n, strings.Repeat("=", n%50)) {
				t.Fatalf("%s: line %q, want number %d", prefix, line, next[prefix])
			}
			next[prefix]++
		}
	}
	for i := 0; i < writers; i++ {
		if name := fmt.Sprintf("prog_%02d", i); next[name] != lines {
			t.Errorf("%s: %d lines, want %d", name, next[name], lines)
		}
	}
}

// A failing console (closed or broken stdout) is reported once per
// episode, and the writer keeps taking output.
func TestConsoleWriterErrors(t *testing.T) {
	out := &writeLog{err: syscall.EPIPE}
	c := NewConsole(out)
	var reports []error
	report := func(err error) { reports = append(reports, err) }
	a, b := c.Writer("a", report), c.Writer("b", report)
	for i := 0; i < 5; i++ {
		if n, err := a.Write([]byte("x\n")); n != 2 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		b.Write([]byte("y\n"))
	}
	if len(reports) != 1 || !errors.Is(reports[0], syscall.EPIPE) {
		t.Fatalf("reports %v, want one EPIPE", reports)
	}
	out.mu.Lock()
	out.err = nil
	out.mu.Unlock()
	a.Write([]byte("back\n"))
	if got := out.all(); got != "a | back\n" {
		t.Fatalf("after recovery %q", got)
	}
	out.mu.Lock()
	out.err = syscall.EBADF
	out.mu.Unlock()
	b.Write([]byte("z\n"))
	if len(reports) != 2 || !errors.Is(reports[1], syscall.EBADF) {
		t.Fatalf("reports %v, want a second episode's EBADF", reports)
	}
}

// failFirst fails its first write only.
type failFirst struct{ n int }

func (f *failFirst) Write(p []byte) (int, error) {
	if f.n++; f.n == 1 {
		return 0, syscall.EPIPE
	}
	return len(p), nil
}

// A failure of a batch written out midway through one Write (the chunk's
// lines exceed the batch size) is reported too, though the chunk's last
// batch goes through.
func TestConsoleWriterMidBatchError(t *testing.T) {
	out := &failFirst{}
	var reports []error
	w := NewConsole(out).Writer("a", func(err error) { reports = append(reports, err) })
	w.Write(bytes.Repeat([]byte(strings.Repeat("x", 63)+"\n"), 2*consoleBatchMax/64))
	if out.n < 2 {
		t.Fatalf("%d writes, want the batch written in several", out.n)
	}
	if len(reports) != 1 || !errors.Is(reports[0], syscall.EPIPE) {
		t.Fatalf("reports %v, want one EPIPE", reports)
	}
}

// A broken pipe on the daemon's real stdout is an error, not death by
// SIGPIPE.
func TestConsoleWriterBrokenStdout(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	var got error
	cw := NewConsole(w).Writer("p", func(err error) { got = err })
	cw.Write([]byte("line\n"))
	if !errors.Is(got, syscall.EPIPE) {
		t.Fatalf("report %v, want EPIPE", got)
	}
}

// A Stream with a Console sends it the same output as its log file: after
// strip_ansi, without capture-mode blocks, the last line flushed at Close.
func TestStreamConsole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	out := &writeLog{}
	s := newStreamOpts(t, StreamOptions{
		Process: "x", Channel: "stdout", StripANSI: true,
		Log:     config.LogConfig{Logfile: path, CaptureMaxbytes: 100},
		Console: NewConsole(out), ConsoleName: "grp:x",
	})
	s.Write([]byte("\x1b[32mgreen\x1b[0m\nbefore <!--XSUPERVISOR:BEGIN-->secret<!--XSUPERVISOR:END--> after\nno newline"))
	s.Close()
	want := "grp:x | green\ngrp:x | before  after\ngrp:x | no newline\n"
	if got := out.all(); got != want {
		t.Fatalf("console %q, want %q", got, want)
	}
	if b, _ := os.ReadFile(path); string(b) != "green\nbefore  after\nno newline" {
		t.Fatalf("log file %q", b)
	}
}

func FuzzConsoleWriter(f *testing.F) {
	f.Add([]byte("a\nbc\n\nd"), []byte{1, 2, 3}, uint8(4))
	f.Add([]byte("0123456789\n0123"), []byte{11, 0}, uint8(3))
	f.Fuzz(func(t *testing.T, data, cuts []byte, max uint8) {
		out := &writeLog{}
		c := NewConsole(out)
		c.lineMax = 1 + int(max%32)
		w := c.Writer("n", nil)
		rest := data
		for _, k := range cuts {
			if len(rest) == 0 {
				break
			}
			n := min(int(k), len(rest))
			w.Write(rest[:n])
			rest = rest[n:]
		}
		w.Write(rest)
		w.Close()
		for _, call := range out.calls() {
			if !strings.HasSuffix(call, "\n") {
				t.Fatalf("write ends mid-line: %q", call)
			}
		}
		if got, want := out.all(), consoleRef("n", string(data), c.lineMax); got != want {
			t.Fatalf("data %q cuts %v max %d:\ngot  %q\nwant %q", data, cuts, c.lineMax, got, want)
		}
		if !bytes.Equal(nil, w.partial) && len(w.partial) != 0 {
			t.Fatalf("still holding %q after Close", w.partial)
		}
	})
}

// Steady state: no allocation per line or per chunk (b.ReportAllocs shows
// 0 allocs/op), with a held partial line at the end of every chunk.
func BenchmarkConsoleWriter(b *testing.B) {
	var chunk []byte
	for i := 0; len(chunk) < 4000; i++ {
		chunk = append(chunk, fmt.Sprintf("worker %d did a thing, took %d ms\n", i, i*7)...)
	}
	chunk = append(chunk, "half a li"...)
	w := NewConsole(discardWriter{}).Writer("group:worker_07", nil)
	w.Write(chunk)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Write(chunk)
	}
}

type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
