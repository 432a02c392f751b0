package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"super/core/config"
)

// backslashReplace is Python's raw.decode("utf-8", "backslashreplace"):
// valid UTF-8 as it is, every other byte as the text \xHH.
func backslashReplace(raw string) string {
	var b strings.Builder
	for len(raw) > 0 {
		r, size := utf8.DecodeRuneInString(raw)
		if r == utf8.RuneError && size == 1 {
			fmt.Fprintf(&b, `\x%02x`, raw[0])
		} else {
			b.WriteString(raw[:size])
		}
		raw = raw[size:]
	}
	return b.String()
}

type jsonLine struct {
	Time    string `json:"time"`
	Program string `json:"program"`
	Group   string `json:"group"`
	Process string `json:"process"`
	Stream  string `json:"stream"`
	Level   string `json:"level"`
	Line    string `json:"line"`
}

// decodeLines parses every line of out as one JSON object, failing on
// anything else (a line that is not JSON, a field not expected).
func decodeLines(t testing.TB, out string) []jsonLine {
	t.Helper()
	var lines []jsonLine
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output does not end with a newline: %q", out)
	}
	for _, text := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !utf8.ValidString(text) {
			t.Fatalf("line is not UTF-8: %q", text)
		}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.DisallowUnknownFields()
		var l jsonLine
		if err := dec.Decode(&l); err != nil || dec.More() {
			t.Fatalf("not one JSON object (%v): %q", err, text)
		}
		lines = append(lines, l)
	}
	return lines
}

var testSource = ConsoleSource{Name: "grp:web_1", Program: "web", Group: "grp", Process: "web_1", Stream: "stderr"}

func TestConsoleJSONLines(t *testing.T) {
	at := time.Date(2026, 3, 29, 1, 59, 59, 987_654_321, time.FixedZone("CET", 3600))
	out := &writeLog{}
	c := NewConsole(out)
	c.now = fixedClock(at)
	w := c.FormatWriter(testSource, ConsoleFormat{JSON: true}, nil)
	input := "plain\n" +
		"quote \" backslash \\ tab \t cr \r bell \x07 del \x7f\n" +
		"utf-8 é € 😀 and bad \xff\xfe, truncated \xe2\x82, surrogate \xed\xa0\x80 end\n" +
		"\n" +
		"split " // the é's two bytes arrive in different chunks below
	chunks := []string{input[:len(input)-3], input[len(input)-3:], "\xc3", "\xa9 across\nno newline"}
	for _, ch := range chunks {
		w.Write([]byte(ch))
	}
	w.Close()
	lines := decodeLines(t, out.all())
	want := []string{"plain", "quote \" backslash \\ tab \t cr \r bell \x07 del \x7f",
		`utf-8 é € 😀 and bad \xff\xfe, truncated \xe2\x82, surrogate \xed\xa0\x80 end`, "", "split é across", "no newline"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), out.all())
	}
	for i, l := range lines {
		if l.Line != want[i] {
			t.Errorf("line %d = %q, want %q", i, l.Line, want[i])
		}
		if l.Time != "2026-03-29T01:59:59.987+01:00" || l.Program != "web" || l.Group != "grp" ||
			l.Process != "web_1" || l.Stream != "stderr" || l.Level != "" {
			t.Errorf("line %d fields %+v", i, l)
		}
	}
	// The raw text keeps the field order documented: time first, line last.
	first, _, _ := strings.Cut(out.all(), "\n")
	if want := `{"time":"2026-03-29T01:59:59.987+01:00","program":"web","group":"grp","process":"web_1","stream":"stderr","line":"plain"}`; first != want {
		t.Errorf("first line\n%s\nwant\n%s", first, want)
	}
}

// Names with characters JSON must escape are escaped in every field.
func TestConsoleJSONNames(t *testing.T) {
	out := &writeLog{}
	c := NewConsole(out)
	src := ConsoleSource{Name: "x", Program: `we"b`, Group: `g\1`, Process: "p\tq", Stream: "stdout"}
	w := c.FormatWriter(src, ConsoleFormat{JSON: true}, nil)
	w.Write([]byte("x\n"))
	l := decodeLines(t, out.all())[0]
	if l.Program != `we"b` || l.Group != `g\1` || l.Process != "p\tq" {
		t.Fatalf("%+v", l)
	}
}

// container_logs_timestamps: the time of the chunk, then "name | line".
func TestConsoleTimestamps(t *testing.T) {
	out := &writeLog{}
	c := NewConsole(out)
	at := time.Date(2026, 11, 25, 10, 0, 0, 5_000_000, time.UTC)
	c.now = func() time.Time { return at }
	w := c.FormatWriter(ConsoleSource{Name: "web"}, ConsoleFormat{Timestamps: true}, nil)
	w.Write([]byte("one\ntw"))
	at = at.Add(1500 * time.Millisecond)
	w.Write([]byte("o\nthree\n"))
	at = at.Add(-1000 * time.Millisecond) // same second as the last: only the milliseconds change
	w.Write([]byte("four\n"))
	w.Write([]byte("held"))
	at = time.Date(2026, 11, 25, 11, 0, 0, 0, time.FixedZone("", 5*3600+1800))
	w.Close()
	want := "2026-11-25T10:00:00.005Z web | one\n" +
		"2026-11-25T10:00:01.505Z web | two\n" +
		"2026-11-25T10:00:01.505Z web | three\n" +
		"2026-11-25T10:00:00.505Z web | four\n" +
		"2026-11-25T11:00:00.000+05:30 web | held\n"
	if got := out.all(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

// The stamp cache gives what time.Format gives, whatever the order of
// the times asked for.
func TestStampCache(t *testing.T) {
	var c stampCache
	zones := []*time.Location{time.UTC, time.FixedZone("", -3*3600-1800), time.FixedZone("", 14*3600)}
	base := time.Date(2026, 10, 25, 0, 59, 58, 0, time.UTC)
	for i := 0; i < 5000; i++ {
		at := base.Add(time.Duration(i*i%7919) * time.Millisecond * 3).In(zones[i%7%3])
		if got, want := string(c.stamp(at)), at.Format(stampLayout); got != want {
			t.Fatalf("stamp(%v) = %s, want %s", at, got, want)
		}
	}
}

// The activity log's echo in JSON: the same fields, the level added, a
// message of several lines one object.
func TestActivityEchoJSON(t *testing.T) {
	var echo bytes.Buffer
	at := time.Date(2026, 11, 25, 10, 0, 0, 123_000_000, time.UTC)
	l, err := New(config.Supervisord{Logfile: config.LogNone, Loglevel: config.LevelInfo},
		LoggerOptions{Echo: &echo, EchoJSON: true, Now: fixedClock(at)})
	if err != nil {
		t.Fatal(err)
	}
	l.Info("spawned: '%s' with pid %d", "web", 42)
	l.Warn("two\nlines \xff")
	lines := decodeLines(t, echo.String())
	if len(lines) != 2 {
		t.Fatalf("%q", echo.String())
	}
	want := []jsonLine{
		{Time: "2026-11-25T10:00:00.123Z", Program: "supervisord", Group: "supervisord", Process: "supervisord", Stream: "stdout", Level: "INFO", Line: "spawned: 'web' with pid 42"},
		{Time: "2026-11-25T10:00:00.123Z", Program: "supervisord", Group: "supervisord", Process: "supervisord", Stream: "stdout", Level: "WARN", Line: `two` + "\n" + `lines \xff`},
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, lines[i], want[i])
		}
	}
}

// No allocation per line or per chunk in any format, the held partial
// line included.
func TestConsoleFormatsDoNotAllocate(t *testing.T) {
	chunk := []byte(strings.Repeat("a line of output with é and \"quotes\"\n", 40) + "half a li")
	for _, f := range []ConsoleFormat{{}, {Timestamps: true}, {JSON: true}} {
		w := NewConsole(discardWriter{}).FormatWriter(testSource, f, nil)
		w.Write(chunk)
		if n := testing.AllocsPerRun(200, func() { w.Write(chunk) }); n > 0 {
			t.Errorf("%+v: %.2f allocations per chunk", f, n)
		}
	}
}

func FuzzConsoleJSON(f *testing.F) {
	f.Add([]byte("a\nb\xffc\n\nd\"\\"), []byte{1, 2, 3}, uint8(4))
	f.Add([]byte("é€😀\xe2\x82\n"), []byte{1, 1, 1, 1}, uint8(3))
	f.Fuzz(func(t *testing.T, data, cuts []byte, max uint8) {
		out := &writeLog{}
		c := NewConsole(out)
		c.lineMax = 1 + int(max%32)
		w := c.FormatWriter(testSource, ConsoleFormat{JSON: true}, nil)
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
		// The pieces the plain format makes, each escaped.
		var want []string
		for _, line := range strings.SplitAfter(consoleRef("", string(data), c.lineMax), "\n") {
			if line != "" {
				want = append(want, backslashReplace(strings.TrimSuffix(strings.TrimPrefix(line, " | "), "\n")))
			}
		}
		got := decodeLines(t, out.all())
		if len(got) != len(want) {
			t.Fatalf("%d lines, want %d: %q", len(got), len(want), out.all())
		}
		for i := range got {
			if got[i].Line != want[i] {
				t.Fatalf("line %d = %q, want %q", i, got[i].Line, want[i])
			}
		}
	})
}

// BenchmarkConsoleFormats: the plain writer of today beside the
// timestamped and JSON ones, on the same chunks.
func BenchmarkConsoleFormats(b *testing.B) {
	var chunk []byte
	for i := 0; len(chunk) < 4000; i++ {
		chunk = append(chunk, fmt.Sprintf("worker %d did a thing, took %d ms\n", i, i*7)...)
	}
	chunk = append(chunk, "half a li"...)
	for _, bc := range []struct {
		name string
		f    ConsoleFormat
	}{{"plain", ConsoleFormat{}}, {"timestamps", ConsoleFormat{Timestamps: true}}, {"json", ConsoleFormat{JSON: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			w := NewConsole(discardWriter{}).FormatWriter(testSource, bc.f, nil)
			w.Write(chunk)
			b.SetBytes(int64(len(chunk)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w.Write(chunk)
			}
		})
	}
}
