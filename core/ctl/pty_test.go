package ctl

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestMain lets the shell test run this test binary as supervisorctl on a
// pseudo-terminal: with SUPER_CTL_TEST_SERVER set it is ctl.Run on the
// real standard streams.
func TestMain(m *testing.M) {
	if url := os.Getenv("SUPER_CTL_TEST_SERVER"); url != "" {
		os.Exit(Run(Options{ServerURL: url, Prompt: "pty", HistoryFile: os.Getenv("SUPER_CTL_TEST_HISTORY")},
			nil, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// screen collects what the shell writes to the terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls the screen until it holds want after offset from.
func (s *screen) waitFor(t *testing.T, from int, want string) int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := s.String()
		if i := strings.Index(out[from:], want); i >= 0 {
			return from + i + len(want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("terminal never showed %q; it shows:\n%s", want, out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The interactive shell on a terminal: status first, the prompt from the
// config, tab completion of commands and process names, history kept in
// the history file, Ctrl-D leaves with status 0.
func TestShellOnTerminal(t *testing.T) {
	d := startDaemon(t, false, baseConf)
	history := filepath.Join(t.TempDir(), "history")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SUPER_CTL_TEST_SERVER="+d.URL, "SUPER_CTL_TEST_HISTORY="+history, "TERM=xterm")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	scr := &screen{}
	go func() { bytesCopy(scr, tty) }()

	at := scr.waitFor(t, 0, "talker                           RUNNING")
	at = scr.waitFor(t, at, "pty> ")

	// "vers<Tab>" completes to the only command; Enter runs it.
	tty.Write([]byte("vers\t"))
	at = scr.waitFor(t, at, "version ")
	tty.Write([]byte("\r"))
	at = scr.waitFor(t, at, "4.2.5")
	at = scr.waitFor(t, at, "pty> ")

	// "status ta<Tab>" completes a process name from the server.
	tty.Write([]byte("status ta\t"))
	at = scr.waitFor(t, at, "status talker ")
	tty.Write([]byte("\r"))
	at = scr.waitFor(t, at, "talker                           RUNNING")
	at = scr.waitFor(t, at, "pty> ")

	// "status grp:<Tab><Tab>" lists the group's members.
	tty.Write([]byte("status grp:\t\t"))
	at = scr.waitFor(t, at, "grp:*")
	tty.Write([]byte{0x15, '\r'}) // Ctrl-U clears the line
	at = scr.waitFor(t, at, "pty> ")

	// Ctrl-D at an empty prompt leaves the shell.
	tty.Write([]byte{0x04})
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("shell exited with %v, want status 0", err)
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("Ctrl-D did not end the shell; screen:\n%s", scr.String())
	}
	b, err := os.ReadFile(history)
	if err != nil {
		t.Fatalf("history file: %v", err)
	}
	if got := string(b); !strings.Contains(got, "version") || !strings.Contains(got, "status talker") {
		t.Errorf("history file holds %q, want the commands typed", got)
	}
}

func bytesCopy(dst *screen, src *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			dst.Write(buf[:n])
		}
		if err != nil {
			return
		}
	}
}
