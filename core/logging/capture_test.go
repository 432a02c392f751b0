package logging

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"super/core/config"
)

type captureResult struct {
	logged   []byte
	captured [][]byte
}

// runCapture feeds chunks through a capture-mode stream and returns what
// went to the log file and the bodies handed to OnCapture.
func runCapture(t testing.TB, dir string, maxbytes int64, chunks [][]byte) captureResult {
	var res captureResult
	path := filepath.Join(dir, "cap.log")
	os.Remove(path)
	s, err := NewStream(StreamOptions{Process: "x", Channel: "stdout",
		Log:       config.LogConfig{Logfile: path, CaptureMaxbytes: maxbytes},
		OnCapture: func(b []byte) { res.captured = append(res.captured, b) },
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
		s.Write(c)
	}
	s.Close()
	res.logged, _ = os.ReadFile(path)
	return res
}

func TestCaptureTable(t *testing.T) {
	tests := []struct {
		name     string
		chunks   []string
		logged   string
		captured []string
	}{
		{"no tokens", []string{"hello world, no tokens in this text\n"}, "hello world, no tokens in this text\n", nil},
		{"one block", []string{"before <!--XSUPERVISOR:BEGIN-->body<!--XSUPERVISOR:END--> after"}, "before  after", []string{"body"}},
		{"two blocks", []string{"a<!--XSUPERVISOR:BEGIN-->1<!--XSUPERVISOR:END-->b<!--XSUPERVISOR:BEGIN-->2<!--XSUPERVISOR:END-->c"}, "abc", []string{"1", "2"}},
		{"empty body", []string{"<!--XSUPERVISOR:BEGIN--><!--XSUPERVISOR:END-->tail"}, "tail", []string{""}},
		{"unterminated", []string{"x<!--XSUPERVISOR:BEGIN-->never ends"}, "x", nil},
		{"end token outside capture is text", []string{"<!--XSUPERVISOR:END--> plain text here"}, "<!--XSUPERVISOR:END--> plain text here", nil},
		{"begin inside capture is body", []string{"<!--XSUPERVISOR:BEGIN-->a<!--XSUPERVISOR:BEGIN-->b<!--XSUPERVISOR:END-->"}, "", []string{"a<!--XSUPERVISOR:BEGIN-->b"}},
		{"split token", []string{"text <!--XSUPER", "VISOR:BEGIN-->bo", "dy<!--XSUPERVISOR:E", "ND--> done"}, "text  done", []string{"body"}},
		// Short output is held back until more than a token's length is
		// pending (4.2) and written out when the stream closes (super).
		{"short output", []string{"hi"}, "hi", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var chunks [][]byte
			for _, c := range tc.chunks {
				chunks = append(chunks, []byte(c))
			}
			res := runCapture(t, t.TempDir(), 1<<20, chunks)
			if string(res.logged) != tc.logged {
				t.Errorf("logged %q, want %q", res.logged, tc.logged)
			}
			if len(res.captured) != len(tc.captured) {
				t.Fatalf("captured %q, want %q", res.captured, tc.captured)
			}
			for i := range tc.captured {
				if string(res.captured[i]) != tc.captured[i] {
					t.Errorf("capture %d = %q, want %q", i, res.captured[i], tc.captured[i])
				}
			}
		})
	}
}

// The result does not depend on where the pipe reads happen to split the
// output: every split into two and into three pieces gives the same log
// and the same captured bodies as one write.
func TestCaptureEverySplit(t *testing.T) {
	input := []byte("start <!--XSUPERVISOR:BEGIN-->first body<!--XSUPERVISOR:END--> middle <<!--<!--XSUPERVISOR:BEGIN-->second<!--XSUPERVISOR:END-->end<!--")
	dir := t.TempDir()
	want := runCapture(t, dir, 1<<20, [][]byte{input})
	if string(want.logged) != "start  middle <<!--end<!--" || len(want.captured) != 2 {
		t.Fatalf("whole input: logged %q, captured %q", want.logged, want.captured)
	}
	check := func(chunks [][]byte) {
		got := runCapture(t, dir, 1<<20, chunks)
		if !bytes.Equal(got.logged, want.logged) || len(got.captured) != len(want.captured) {
			t.Fatalf("split %q: logged %q captured %q", chunks, got.logged, got.captured)
		}
		for i := range got.captured {
			if !bytes.Equal(got.captured[i], want.captured[i]) {
				t.Fatalf("split %q: captured %q", chunks, got.captured)
			}
		}
	}
	for i := 0; i <= len(input); i++ {
		check([][]byte{input[:i], input[i:]})
	}
	for i := 0; i <= len(input); i += 7 {
		for j := i; j <= len(input); j++ {
			check([][]byte{input[:i], input[i:j], input[j:]})
		}
	}
	// One byte at a time.
	var bytewise [][]byte
	for i := range input {
		bytewise = append(bytewise, input[i:i+1])
	}
	check(bytewise)
}

// The capture buffer follows 4.2's BoundIO: when a write would pass the
// limit, as many bytes as are written are dropped from its front.
func TestCaptureMaxbytes(t *testing.T) {
	res := runCapture(t, t.TempDir(), 10, [][]byte{
		[]byte("<!--XSUPERVISOR:BEGIN-->"), []byte("0123456789abcdefghijklmnopqrstuvwxyz"), []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
		[]byte("<!--XSUPERVISOR:END-->and more text after it"),
	})
	// Pieces written: "0123456789abcdefghijklmnopqrstuvwxyz" minus the
	// held-back tail that could start a token ("" here), then the next.
	var b boundedBuffer
	b.max = 10
	b.write([]byte("0123456789abcdefghijklmnopqrstuvwxyz"))
	b.write([]byte("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
	if len(res.captured) != 1 || string(res.captured[0]) != string(b.buf) {
		t.Fatalf("captured %q, want %q", res.captured, b.buf)
	}
	if string(res.logged) != "and more text after it" {
		t.Fatalf("logged %q", res.logged)
	}
}

func TestBoundedBufferIsBoundIO(t *testing.T) {
	// Expected values as 4.2's loggers.BoundIO computes them.
	var b boundedBuffer
	b.max = 5
	steps := []struct{ in, want string }{
		{"abc", "abc"}, {"de", "abcde"}, {"f", "bcdef"}, {"ghi", "efghi"}, {"0123456", "0123456"}, {"x", "123456x"},
	}
	for _, s := range steps {
		b.write([]byte(s.in))
		if string(b.buf) != s.want {
			t.Fatalf("after %q: %q, want %q", s.in, b.buf, s.want)
		}
	}
}

// Captured text reaches neither the log file nor syslog but is in the
// PROCESS_LOG hook and the activity log's debug copy, as in 4.2.
func TestCaptureWithEventsAndDebugCopy(t *testing.T) {
	dir := t.TempDir()
	act, actPath := newFileLogger(t, config.LevelDebug)
	var logged []string
	path := filepath.Join(dir, "x.log")
	s, err := NewStream(StreamOptions{Process: "x", Channel: "stdout", Activity: act,
		Log:   config.LogConfig{Logfile: path, CaptureMaxbytes: 100, EventsEnabled: true},
		OnLog: func(b []byte) { logged = append(logged, string(b)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Write([]byte("plain text line\n<!--XSUPERVISOR:BEGIN-->secret<!--XSUPERVISOR:END-->"))
	s.Close()
	if got := strings.Join(logged, "|"); got != "plain text line\n|secret" {
		t.Fatalf("OnLog got %q", got)
	}
	file, _ := os.ReadFile(path)
	if string(file) != "plain text line\n" {
		t.Fatalf("file %q", file)
	}
	a, _ := os.ReadFile(actPath)
	for _, want := range []string{"DEBG 'x' stdout output:\nplain text line\n\n", "DEBG 'x' stdout output:\nsecret\n", "DEBG 'x' stdout emitted a comm event\n"} {
		if !strings.Contains(string(a), want) {
			t.Errorf("activity log lacks %q:\n%s", want, a)
		}
	}
}

// FuzzCaptureParser: for any input and any split, the parser loses and
// invents nothing (output + tokens == input) and gives the same result as
// for the input in one piece.
func FuzzCaptureParser(f *testing.F) {
	f.Add([]byte("a<!--XSUPERVISOR:BEGIN-->b<!--XSUPERVISOR:END-->c"), uint8(3))
	f.Add([]byte("<!--XSUPERVISOR:BEGIN<!--XSUPERVISOR:BEGIN-->"), uint8(20))
	f.Add([]byte("<!--<!--XSUPERVISOR:END--><!--XSUPERVISOR:BEGIN--><!--"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		run := func(step int) (normal, capt []byte, toggles int) {
			p := &captureParser{
				out: func(b []byte, capturing bool) {
					if capturing {
						capt = append(capt, b...)
					} else {
						normal = append(normal, b...)
					}
				},
				toggled: func(bool) { toggles++ },
			}
			for i := 0; i < len(data); i += step {
				p.write(data[i:min(i+step, len(data))])
			}
			p.flush()
			return
		}
		n1, c1, k1 := run(len(data) + 1)
		n2, c2, k2 := run(int(step)%32 + 1)
		if !bytes.Equal(n1, n2) || !bytes.Equal(c1, c2) || k1 != k2 {
			t.Fatalf("split changes result: %q/%q/%d vs %q/%q/%d", n1, c1, k1, n2, c2, k2)
		}
		tokens := (k1/2)*(len(BeginToken)+len(EndToken)) + (k1%2)*len(BeginToken)
		if len(n1)+len(c1)+tokens != len(data) {
			t.Fatalf("%d normal + %d captured + %d token bytes != %d input", len(n1), len(c1), tokens, len(data))
		}
	})
}
