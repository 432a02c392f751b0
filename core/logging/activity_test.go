package logging

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"super/core/config"
)

func newFileLogger(t *testing.T, level config.LogLevel) (*Logger, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "supervisord.log")
	l, err := New(config.Supervisord{Logfile: path, Loglevel: level}, LoggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, path
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestLineFormat(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123_999_999, time.Local)
	tests := []struct {
		level config.LogLevel
		fmt   string
		args  []any
		want  string
	}{
		{config.LevelInfo, "spawned: '%s' with pid %d", []any{"x", 42}, "2026-11-25 10:00:00,123 INFO spawned: 'x' with pid 42\n"},
		{config.LevelCritical, "Server 'unix_http_server' running without any HTTP authentication checking", nil, "2026-11-25 10:00:00,123 CRIT Server 'unix_http_server' running without any HTTP authentication checking\n"},
		{config.LevelError, "e", nil, "2026-11-25 10:00:00,123 ERRO e\n"},
		{config.LevelWarn, "w", nil, "2026-11-25 10:00:00,123 WARN w\n"},
		{config.LevelDebug, "d", nil, "2026-11-25 10:00:00,123 DEBG d\n"},
		{config.LevelTrace, "t", nil, "2026-11-25 10:00:00,123 TRAC t\n"},
		{config.LevelBlather, "b", nil, "2026-11-25 10:00:00,123 BLAT b\n"},
		// Without arguments the text is taken verbatim.
		{config.LevelInfo, "100% done %s", nil, "2026-11-25 10:00:00,123 INFO 100% done %s\n"},
		// Multi-line messages are written as they are.
		{config.LevelDebug, "'x' stdout output:\nhello\n", nil, "2026-11-25 10:00:00,123 DEBG 'x' stdout output:\nhello\n\n"},
	}
	for _, tc := range tests {
		var echo bytes.Buffer
		l, _ := New(config.Supervisord{Loglevel: config.LevelBlather}, LoggerOptions{Echo: &echo, Now: fixedClock(at)})
		l.Log(tc.level, tc.fmt, tc.args...)
		if echo.String() != tc.want {
			t.Errorf("got %q, want %q", echo.String(), tc.want)
		}
	}
	// Milliseconds are zero-padded.
	var echo bytes.Buffer
	l, _ := New(config.Supervisord{}, LoggerOptions{Echo: &echo, Now: fixedClock(time.Date(2026, 1, 2, 3, 4, 5, 7_000_000, time.Local))})
	l.Info("m")
	if echo.String() != "2026-01-02 03:04:05,007 INFO m\n" {
		t.Errorf("got %q", echo.String())
	}
}

// The timestamp is formatted as 4.2's LogRecord.asdict for the same
// instant, checked against the installed Supervisor.
func TestLineFormatMatchesOracle(t *testing.T) {
	py := oraclePython(t)
	script := `
import sys, time
from supervisor import loggers
now = float(sys.argv[1])
time.time = lambda: now
r = loggers.LogRecord(loggers.LevelsByName.WARN, 'x %(a)s', a='y')
sys.stdout.write('%(asctime)s %(levelname)s %(message)s\n' % r.asdict())
`
	for _, at := range []time.Time{
		time.Date(2026, 11, 25, 10, 0, 0, 123_400_000, time.Local),
		time.Date(2026, 2, 3, 4, 5, 6, 5_000_000, time.Local),
		time.Date(2025, 12, 31, 23, 59, 59, 999_000_000, time.Local),
	} {
		secs := float64(at.UnixMilli())/1000 + 0.0004 // keep float error off the ms boundary
		out, err := exec.Command(py, "-c", script, strconv.FormatFloat(secs, 'f', 6, 64)).Output()
		if err != nil {
			t.Fatal(err)
		}
		var echo bytes.Buffer
		l, _ := New(config.Supervisord{}, LoggerOptions{Echo: &echo, Now: fixedClock(at)})
		l.Warn("x %s", "y")
		if echo.String() != string(out) {
			t.Errorf("super %q, 4.2 %q", echo.String(), out)
		}
	}
}

func TestLevelFiltering(t *testing.T) {
	all := []config.LogLevel{config.LevelCritical, config.LevelError, config.LevelWarn,
		config.LevelInfo, config.LevelDebug, config.LevelTrace, config.LevelBlather}
	for _, threshold := range all {
		var echo bytes.Buffer
		l, _ := New(config.Supervisord{Loglevel: threshold}, LoggerOptions{Echo: &echo})
		l.Critical("c")
		l.Error("e")
		l.Warn("w")
		l.Info("i")
		l.Debug("d")
		l.Trace("t")
		l.Blather("b")
		var want []string
		for _, lv := range all {
			if lv >= threshold {
				want = append(want, LevelName(lv))
			}
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(echo.String()), "\n") {
			got = append(got, strings.Fields(line)[2])
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("level %s: logged %v, want %v", LevelName(threshold), got, want)
		}
		for _, lv := range all {
			if l.Enabled(lv) != (lv >= threshold) {
				t.Errorf("level %s: Enabled(%s) wrong", LevelName(threshold), LevelName(lv))
			}
		}
	}
}

func TestParseLevel(t *testing.T) {
	for in, want := range map[string]config.LogLevel{
		"critical": 50, "ERROR": 40, "Warn": 30, "info": 20, "debug": 10, "trace": 5, "blather": 3,
	} {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("ParseLevel(%q) = %d, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "warning", "crit", "10"} {
		if _, ok := ParseLevel(bad); ok {
			t.Errorf("ParseLevel(%q) accepted", bad)
		}
	}
}

// Messages logged before the config is known come out, in order and with
// their own timestamps, once it is — filtered by the configured level.
func TestStartupLoggerReplays(t *testing.T) {
	l := NewStartupLogger()
	l.Debug("too detailed")
	l.Warn("No file matches via include %q", "x")
	l.Info("Included extra file %q during parsing", "y")
	var echo bytes.Buffer
	path := filepath.Join(t.TempDir(), "s.log")
	if err := l.Configure(config.Supervisord{Logfile: path, Loglevel: config.LevelInfo}, LoggerOptions{Echo: &echo}); err != nil {
		t.Fatal(err)
	}
	l.Info("after")
	file, _ := os.ReadFile(path)
	if string(file) != echo.String() {
		t.Fatalf("file and echo differ:\n%s\n%s", file, echo.String())
	}
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], `WARN No file matches via include "x"`) ||
		!strings.HasSuffix(lines[1], `INFO Included extra file "y" during parsing`) ||
		!strings.HasSuffix(lines[2], "INFO after") {
		t.Fatalf("replayed:\n%s", file)
	}
}

func TestEchoRule(t *testing.T) {
	w := &bytes.Buffer{}
	cases := []struct {
		nodaemon, silent, echo bool
	}{{true, false, true}, {true, true, false}, {false, false, false}, {false, true, false}}
	for _, c := range cases {
		got := EchoFor(config.Supervisord{Nodaemon: c.nodaemon, Silent: c.silent}, w) != nil
		if got != c.echo {
			t.Errorf("nodaemon=%v silent=%v: echo %v, want %v", c.nodaemon, c.silent, got, c.echo)
		}
	}
}

func TestActivityLogRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	l, err := New(config.Supervisord{Logfile: path, LogfileMaxbytes: 200, LogfileBackups: 2}, LoggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < 30; i++ {
		l.Info("message %d", i)
	}
	got := string(readRotated(t, path, 2))
	if !strings.HasSuffix(got, "INFO message 29\n") || strings.Count(got, "INFO message") < 6 {
		t.Fatalf("rotated log:\n%s", got)
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Fatal("too many backups")
	}
}

func TestActivityReopenAndClear(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "supervisord.log")
	var echo bytes.Buffer
	l, _ := New(config.Supervisord{Logfile: path, Loglevel: config.LevelInfo}, LoggerOptions{Echo: &echo})
	defer l.Close()
	l.Info("one")
	os.Rename(path, path+".old")
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Info("two")
	old, _ := os.ReadFile(path + ".old")
	cur, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(old), "INFO supervisord logreopen\n") || !strings.HasSuffix(string(cur), "INFO two\n") ||
		strings.Count(string(cur), "\n") != 1 {
		t.Fatalf("old:\n%s\nnew:\n%s", old, cur)
	}
	if l.Path() != path {
		t.Fatalf("Path = %q", l.Path())
	}
	echo.Reset()
	if err := l.Clear(); err != nil {
		t.Fatal(err)
	}
	l.Info("three")
	cur, _ = os.ReadFile(path)
	if !strings.HasSuffix(string(cur), "INFO three\n") || strings.Count(string(cur), "\n") != 1 {
		t.Fatalf("after clear:\n%s", cur)
	}
	// 4.2 logs "reopening log file" once per handler (stdout + file).
	if n := strings.Count(echo.String(), "INFO reopening log file\n"); n != 2 {
		t.Fatalf("echo after clear:\n%s", echo.String())
	}
	os.Remove(path)
	if err := l.Clear(); err != ErrNoFile {
		t.Fatalf("Clear on a missing file = %v, want ErrNoFile", err)
	}
	none, _ := New(config.Supervisord{Logfile: config.LogNone}, LoggerOptions{})
	if none.Path() != "" || none.Clear() != ErrNoFile {
		t.Fatal("logfile=NONE has a file")
	}
}

// logfile=syslog: every line of a message is one syslog message carrying
// 4.2's full line format.
func TestActivitySyslog(t *testing.T) {
	sock, msgs := listenSyslog(t)
	l, _ := New(config.Supervisord{Logfile: config.LogSyslog}, LoggerOptions{Syslog: NewSyslog(sock), Now: fixedClock(time.Date(2026, 11, 25, 10, 0, 0, 0, time.Local))})
	l.Info("a\nb")
	for _, want := range []string{"2026-11-25 10:00:00,000 INFO a\n", "2026-11-25 10:00:00,000 INFO b\n"} {
		got := <-msgs
		if !strings.HasPrefix(got, "<14>") || !strings.HasSuffix(got, " supervisord: "+want) {
			t.Fatalf("syslog got %q, want … supervisord: %q", got, want)
		}
	}
	if l.Path() != "" {
		t.Fatal("syslog log has a path")
	}
}

func listenSyslog(t *testing.T) (string, <-chan string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "log")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ch := make(chan string, 100)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return sock, ch
}

func TestLoggerConcurrentUse(t *testing.T) {
	l, path := newFileLogger(t, config.LevelInfo)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				l.Info("g%d %d", g, i)
			}
		}()
	}
	wg.Wait()
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, line := range lines {
		if len(strings.Fields(line)) != 5 {
			t.Fatalf("interleaved line %q", line)
		}
	}
}

func TestNilLoggerIsSilent(t *testing.T) {
	var l *Logger
	l.Info("x")
	l.Error("y %d", 1)
	if l.Enabled(config.LevelCritical) || l.Path() != "" {
		t.Fatal("nil logger enabled")
	}
}
