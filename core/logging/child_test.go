package logging

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"super/core/config"
)

func TestAutoChildLogName(t *testing.T) {
	dir := t.TempDir()
	seen := map[string]bool{}
	re := regexp.MustCompile(`^cat-stdout---supervisor-[a-z0-9_]{8}\.log$`)
	for i := 0; i < 50; i++ {
		p, err := AutoChildLogName(dir, "cat", "supervisor", "stdout")
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Dir(p) != dir || !re.MatchString(filepath.Base(p)) {
			t.Fatalf("AUTO name %q", p)
		}
		if seen[p] {
			t.Fatalf("duplicate AUTO name %q", p)
		}
		seen[p] = true
		st, err := os.Stat(p)
		if err != nil || st.Size() != 0 || st.Mode().Perm() != 0o600 {
			t.Fatalf("AUTO file %q: %v %v", p, st, err)
		}
	}
	if _, err := AutoChildLogName(filepath.Join(dir, "missing"), "cat", "supervisor", "stdout"); err == nil {
		t.Fatal("no error for a missing childlogdir")
	}
}

// Startup cleanup removes this identifier's AUTO logs and their backups,
// nothing else — the names are checked against 4.2's own pattern.
func TestClearAutoChildLogDir(t *testing.T) {
	dir := t.TempDir()
	names := []string{
		"cat-stdout---supervisor-abcd1234.log",
		"cat-stderr---supervisor-x_y_z_00.log.1",
		"cat-stdout---supervisor-abcd1234.log.10",
		"cat-stdout---other-abcd1234.log",
		"supervisord.log",
		"cat.log",
		"---supervisor-a.log",
		"a---supervisor-.log",
	}
	for _, n := range names {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	act, actPath := newFileLogger(t, config.LevelInfo)
	ClearAutoChildLogDir(dir, "supervisor", act)
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{"---supervisor-a.log", "a---supervisor-.log", "cat-stdout---other-abcd1234.log", "cat.log", "supervisord.log"}
	if strings.Join(left, " ") != strings.Join(want, " ") {
		t.Fatalf("left %v, want %v", left, want)
	}
	if py := oraclePythonOrEmpty(); py != "" {
		out, err := exec.Command(py, append([]string{"-c", `
import re, sys
fnre = re.compile(r'.+?---%s-\S+\.log\.{0,1}\d{0,4}' % 'supervisor')
for n in sys.argv[1:]:
    print(bool(fnre.match(n)))
`}, names...)...).Output()
		if err != nil {
			t.Fatal(err)
		}
		re := autoLogPattern("supervisor")
		for i, line := range strings.Fields(string(out)) {
			if (line == "True") != re.MatchString(names[i]) {
				t.Errorf("%q: 4.2 matches %s", names[i], line)
			}
		}
	}
	ClearAutoChildLogDir(filepath.Join(dir, "missing"), "supervisor", act)
	if b, _ := os.ReadFile(actPath); !strings.Contains(string(b), "WARN Could not clear childlog dir\n") {
		t.Fatalf("activity log:\n%s", b)
	}
}

func oraclePythonOrEmpty() string {
	if exec.Command("/usr/bin/python3", "-c", "import supervisor.dispatchers").Run() != nil {
		return ""
	}
	return "/usr/bin/python3"
}

// strip_ansi removes exactly what 4.2's stripEscapes removes, checked
// against it for single writes; sequences split across writes are removed
// too.
func TestStripANSI(t *testing.T) {
	inputs := []string{
		"plain",
		"\x1b[31mred\x1b[0m normal",
		"\x1b[1;32;40mbold\x1b[K\x1b[2J\x1b[H",
		"esc alone \x1b x \x1b",
		"\x1b[unfinished",
		"a\x1b[12;34fb\x1b[sc\x1b[ud",
		"\x1b[?25lhidden cursor\x1b[?25h",
	}
	strip := func(chunks ...string) string {
		var a ansiStripper
		var out []byte
		for _, c := range chunks {
			out = a.appendStripped(out, []byte(c))
		}
		return string(a.flush(out))
	}
	if py := oraclePythonOrEmpty(); py != "" {
		for _, in := range inputs {
			out, err := exec.Command(py, "-c", `
import sys, binascii
from supervisor.dispatchers import stripEscapes
sys.stdout.write(binascii.hexlify(stripEscapes(binascii.unhexlify(sys.argv[1]))).decode())
`, hex.EncodeToString([]byte(in))).Output()
			if err != nil {
				t.Fatal(err)
			}
			want, _ := hex.DecodeString(string(out))
			if got := strip(in); got != string(want) {
				t.Errorf("strip(%q) = %q, 4.2 %q", in, got, want)
			}
		}
	}
	for _, c := range []struct {
		chunks []string
		want   string
	}{
		{[]string{"red \x1b[", "31mtext\x1b[", "0m end"}, "red text end"},
		{[]string{"red \x1b", "[31mtext\x1b", "[0m end"}, "red text end"},
		{[]string{"a\x1b", "b\x1b", "", "\x1b", "[Kc"}, "a\x1bb\x1bc"},
		{[]string{"lone at the end \x1b"}, "lone at the end \x1b"},
	} {
		if got := strip(c.chunks...); got != c.want {
			t.Errorf("strip%q = %q, want %q", c.chunks, got, c.want)
		}
	}
	path := filepath.Join(t.TempDir(), "x.log")
	s := newStreamOpts(t, StreamOptions{StripANSI: true, Log: config.LogConfig{Logfile: path}})
	s.Write([]byte("\x1b[32mOK\x1b[0m\n"))
	if b, _ := os.ReadFile(path); string(b) != "OK\n" {
		t.Fatalf("log = %q", b)
	}
	// An ESC ending the output is written when the stream closes.
	s.Write([]byte("\x1b"))
	s.Write([]byte("[1mbold\x1b"))
	s.Close()
	if b, _ := os.ReadFile(path); string(b) != "OK\nbold\x1b" {
		t.Fatalf("log after close = %q", b)
	}
}

func newStreamOpts(t *testing.T, o StreamOptions) *Stream {
	t.Helper()
	if o.Process == "" {
		o.Process, o.Channel = "x", "stdout"
	}
	s, err := NewStream(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// stdout_syslog: each line is one message prefixed with the process name.
func TestChildSyslog(t *testing.T) {
	sock, msgs := listenSyslog(t)
	s := newStreamOpts(t, StreamOptions{Process: "web", Channel: "stderr", Syslog: NewSyslog(sock),
		Log: config.LogConfig{Syslog: true}})
	s.Write([]byte("first\n\nthird\n\n"))
	for _, want := range []string{"web first", "web ", "web third"} {
		got := <-msgs
		if !strings.HasPrefix(got, "<14>") || !strings.HasSuffix(got, " supervisord: "+want) {
			t.Fatalf("syslog got %q, want … supervisord: %q", got, want)
		}
	}
	if s.Path() != "" {
		t.Fatal("syslog-only stream has a path")
	}
	// The deprecated logfile=syslog spelling means the same.
	s2 := newStreamOpts(t, StreamOptions{Process: "old", Syslog: NewSyslog(sock), Log: config.LogConfig{Logfile: config.LogSyslog}})
	s2.Write([]byte("x"))
	if got := <-msgs; !strings.HasSuffix(got, " supervisord: old x") {
		t.Fatalf("syslog got %q", got)
	}
}

// /dev/stdout is written to, never rotated (4.2 crashes with Illegal seek).
func TestDevStdoutIsNotRotated(t *testing.T) {
	s := newStreamOpts(t, StreamOptions{Log: config.LogConfig{Logfile: "/dev/stdout", Maxbytes: 1, Backups: 3}})
	if s.file.rotating {
		t.Fatal("/dev/stdout set up for rotation")
	}
	s.Write([]byte("")) // nothing to see; must not rotate or fail
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
}

// The debug copy in the activity log uses 4.2's texts, including its repr
// of output that is not UTF-8.
func TestDebugCopyOfOutput(t *testing.T) {
	act, actPath := newFileLogger(t, config.LevelDebug)
	s := newStreamOpts(t, StreamOptions{Process: "it's", Channel: "stderr", Activity: act})
	s.Write([]byte("caf\xe9 'q' \"d\"\\\n"))
	b, _ := os.ReadFile(actPath)
	want := "DEBG \"it's\" stderr output:\nUndecodable: b'caf\\xe9 \\'q\\' \"d\"\\\\\\n'\n"
	if !strings.HasSuffix(string(b), want) {
		t.Fatalf("activity log:\n%s\nwant suffix:\n%s", b, want)
	}
}
