package logging

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"super/core/config"
)

// Stream.Rotate: between two writes, a backup made of exactly what was
// written before; an empty file is left; a closed stream says so.
func TestStreamRotateNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.log")
	s := newTestStream(t, config.LogConfig{Logfile: path, Backups: 5})
	s.Write([]byte("one\ntw"))
	if err := s.Rotate(); err != nil {
		t.Fatal(err)
	}
	if err := s.Rotate(); err != nil { // empty now: nothing to rotate
		t.Fatal(err)
	}
	s.Write([]byte("o\n"))
	if got := strings.Join(files(t, path, 2), "|"); got != "||one\ntw|o\n" {
		t.Fatalf("%q", got)
	}
	s.Close()
	if err := s.Rotate(); !errors.Is(err, ErrStreamClosed) {
		t.Fatalf("Rotate after Close: %v", err)
	}
	// By path, as for a program that does not run.
	if err := RotateFile(path, config.LogConfig{Backups: 5}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files(t, path, 2), "|"); got != "|one\ntw|o\n|" {
		t.Fatalf("%q", got)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 0 {
		t.Fatalf("no empty live file after a rotation by path: %v", err)
	}
	if err := RotateFile("", config.LogConfig{}); !errors.Is(err, ErrNoLogFile) {
		t.Fatalf("RotateFile(\"\"): %v", err)
	}
	if err := RotateFile(filepath.Join(t.TempDir(), "missing.log"), config.LogConfig{Backups: 1}); err != nil {
		t.Fatalf("a missing file is nothing to rotate: %v", err)
	}
}

// Standard streams and streams without a file are not rotated.
func TestRotateNowNotRotatable(t *testing.T) {
	s := newTestStream(t, config.LogConfig{Logfile: "/dev/stdout", Backups: 5})
	if err := s.Rotate(); !errors.Is(err, ErrNotRotatable) {
		t.Fatalf("/dev/stdout: %v", err)
	}
	s2 := newTestStream(t, config.LogConfig{Logfile: config.LogNone})
	if err := s2.Rotate(); !errors.Is(err, ErrNoLogFile) {
		t.Fatalf("NONE: %v", err)
	}
}

// The activity log rotates on demand too.
func TestLoggerRotateNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "supervisord.log")
	l, err := New(config.Supervisord{Logfile: path, LogfileBackups: 2, Loglevel: config.LevelInfo}, LoggerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.Info("first")
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	l.Info("second")
	one, _ := os.ReadFile(path + ".1")
	live, _ := os.ReadFile(path)
	if !strings.HasSuffix(string(one), " INFO first\n") || !strings.HasSuffix(string(live), " INFO second\n") {
		t.Fatalf("backup %q, live %q", one, live)
	}
}
