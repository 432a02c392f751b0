package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"super/core/config"
)

// stdout_logfile_timestamps: each line in the file starts with the time
// the chunk holding its start was read; a line cut across chunks gets
// one time; syslog and the console are left alone.
func TestLogfileTimestamps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	at := time.Date(2026, 11, 25, 10, 0, 0, 1_000_000, time.UTC)
	out := &writeLog{}
	s := newStreamOpts(t, StreamOptions{
		Log:     config.LogConfig{Logfile: path, Timestamps: true},
		Console: NewConsole(out), ConsoleName: "x",
		Now: func() time.Time { return at },
	})
	s.Write([]byte("one\ntw"))
	at = at.Add(2 * time.Second)
	s.Write([]byte("o\n\nthree"))
	at = at.Add(time.Millisecond)
	s.Write([]byte(" more\n"))
	s.Close()
	want := "2026-11-25T10:00:00.001Z one\n" +
		"2026-11-25T10:00:00.001Z two\n" +
		"2026-11-25T10:00:02.001Z \n" +
		"2026-11-25T10:00:02.001Z three more\n"
	if b, _ := os.ReadFile(path); string(b) != want {
		t.Fatalf("file\n%s\nwant\n%s", b, want)
	}
	if got := out.all(); got != "x | one\nx | two\nx | \nx | three more\n" {
		t.Fatalf("console %q", got)
	}
}

// Off (4.2's default), the file gets the bytes as they came.
func TestLogfileNoTimestamps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	s := newStreamOpts(t, StreamOptions{Log: config.LogConfig{Logfile: path}})
	s.Write([]byte("one\ntw"))
	s.Close()
	if b, _ := os.ReadFile(path); string(b) != "one\ntw" {
		t.Fatalf("file %q", b)
	}
}

// Chunks of many lines, each cut anywhere: the file is the input with
// one time per line, whatever the cuts.
func TestLogfileTimestampsAnyCut(t *testing.T) {
	input := []byte(strings.Repeat("line of text\n\n", 50) + "end")
	stamp := "2026-01-02T03:04:05.006Z "
	want := stamp + strings.ReplaceAll(strings.TrimSuffix(string(input), "end"), "\n", "\n"+stamp) + "end"
	for cut := 1; cut < 40; cut += 3 {
		var got bytes.Buffer
		var ls lineStamper
		at := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
		for p := input; len(p) > 0; {
			n := min(cut, len(p))
			ls.write(func(b []byte) { got.Write(b) }, p[:n], at)
			p = p[n:]
		}
		if got.String() != want {
			t.Fatalf("cut %d:\n%q\nwant\n%q", cut, got.String(), want)
		}
	}
}

func TestLogfileTimestampsDoNotAllocate(t *testing.T) {
	// (A rotation allocates: large enough not to rotate within the runs.)
	s := newTestStream(t, config.LogConfig{Logfile: filepath.Join(t.TempDir(), "x.log"), Maxbytes: 8 << 20, Backups: 1, Timestamps: true})
	chunk := bytes.Repeat([]byte("some output line\n"), 100)
	s.Write(chunk)
	if n := testing.AllocsPerRun(200, func() { s.Write(chunk) }); n > 0.1 {
		t.Fatalf("%.2f allocations per write", n)
	}
}

// A line longer than the buffer's bound is written from the chunk, after
// its time; the buffer stays bounded.
func TestLogfileTimestampsLongLine(t *testing.T) {
	var got bytes.Buffer
	var ls lineStamper
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	long := strings.Repeat("y", 3*stampFlush)
	input := "short\n" + long + "\nafter\n" + strings.Repeat("z\n", stampFlush)
	ls.write(func(b []byte) { got.Write(b) }, []byte(input), at)
	stamp := "2026-01-02T03:04:05.000Z "
	want := stamp + "short\n" + stamp + long + "\n" + stamp + "after\n" + strings.Repeat(stamp+"z\n", stampFlush)
	if got.String() != want {
		t.Fatalf("got %d bytes, want %d", got.Len(), len(want))
	}
	if cap(ls.buf) > 2*stampFlush+64 {
		t.Fatalf("buffer grew to %d", cap(ls.buf))
	}
}
